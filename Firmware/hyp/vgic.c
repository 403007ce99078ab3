// Interrupts. Physical IRQs come to EL2 (HCR_EL2.IMO) and the hypervisor
// takes them on the real GICv3 CPU interface (ICC_*). The guest's
// interrupts are virtual: the hypervisor writes them into list registers
// (ICH_LR<n>_EL2) and the guest acknowledges and ends them through the
// virtual CPU interface (its ICC_* accesses reach ICV_*) with no exit.
//
// Every interrupt but the maintenance interrupt (PPI 25) is the guest's:
// its timers (PPI 27 virtual, 30 physical), its devices' SPIs, its SGIs.
// Each is injected with EOI maintenance: the physical interrupt stays
// active while the guest handles the virtual one; the guest's EOI raises
// the maintenance interrupt and the hypervisor then deactivates the
// physical one (ICC_DIR_EL1). KVM links the two instead (ICH_LR.HW with
// the physical INTID: the guest's EOI deactivates both, no maintenance
// exit); this spells out each step.
//
// The guest reaches the distributor and redistributor directly (stage 2
// maps them; KVM emulates them) and enables its interrupts there itself.
#include "hyp.h"

#define MAINTENANCE_PPI 25
#define VTIMER_PPI 27
#define SPURIOUS 1023

#define LR_PENDING (1ul << 62)
#define LR_GROUP1 (1ul << 60)
#define LR_EOI (1ul << 41)                 // maintenance interrupt on its EOI (HW = 0)
#define LR_PRIORITY(p) ((uint64_t)(p) << 48)
#define GUEST_PRIORITY 0x80                // every guest interrupt's (KVM's vGIC keeps the one the guest set)

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

static unsigned list_registers;            // ICH_VTR_EL2.ListRegs + 1
static uint64_t physical_intid[16];        // per LR: the physical interrupt to deactivate on its EOI

// ICH_LR<n>_EL2 takes n in the instruction: one case per register.
#define LR_CASES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
static uint64_t read_lr(unsigned n) {
#define READ_LR(i) case i: return read_sysreg(ich_lr##i##_el2);
    switch (n) { LR_CASES(READ_LR) }
    return 0;
}
static void write_lr(unsigned n, uint64_t v) {
#define WRITE_LR(i) case i: write_sysreg(ich_lr##i##_el2, v); break;
    switch (n) { LR_CASES(WRITE_LR) }
}

void gic_init(void) {
    w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1));        // GICD_CTLR: ARE, EnableGrp1
    uint64_t sgi = GICR_BASE + 0x10000;
    w32(GICR_BASE + 0x14, r32(GICR_BASE + 0x14) & ~2u);  // GICR_WAKER.ProcessorSleep = 0
    while (r32(GICR_BASE + 0x14) & 4u) {}                // ChildrenAsleep
    w32(sgi + 0x80, r32(sgi + 0x80) | (1u << MAINTENANCE_PPI));              // IGROUPR0: group 1
    uint64_t prio = sgi + 0x400 + (MAINTENANCE_PPI & ~3u);
    w32(prio, (r32(prio) & ~(0xffu << 8 * (MAINTENANCE_PPI % 4))) | 0x80u << 8 * (MAINTENANCE_PPI % 4));
    w32(sgi + 0x100, 1u << MAINTENANCE_PPI);                                 // ISENABLER0

    write_sysreg(icc_sre_el2, 0xf);        // SRE, DFB, DIB; Enable: EL1 may use ICC_SRE_EL1
    isb();
    write_sysreg(icc_pmr_el1, 0xff);
    write_sysreg(icc_bpr1_el1, 0);
    write_sysreg(icc_ctlr_el1, 1u << 1);   // EOImode: EOIR drops the priority, DIR deactivates
    write_sysreg(icc_igrpen1_el1, 1);

    list_registers = (unsigned)(read_sysreg(ich_vtr_el2) & 0x1f) + 1;
    for (unsigned n = 0; n < list_registers; n++) write_lr(n, 0);
    write_sysreg(ich_ap1r0_el2, 0);
    write_sysreg(ich_vmcr_el2, 0);         // the guest sets its PMR and group enable
    write_sysreg(ich_hcr_el2, 1);          // En: the virtual CPU interface works
    isb();
}

// A virtual interrupt pending in a list register: it wakes the guest's WFI.
int vgic_pending(void) {
    for (unsigned n = 0; n < list_registers; n++)
        if (read_lr(n) & LR_PENDING) return 1;
    return 0;
}

// Is any of the guest's interrupts enabled at the GIC (its SGIs and PPIs
// in the redistributor, but the maintenance interrupt; its SPIs)?
static int guest_interrupts_enabled(void) {
    if (r32(GICR_BASE + 0x10000 + 0x100) & ~(1u << MAINTENANCE_PPI)) return 1;   // GICR_ISENABLER0
    unsigned lines = (r32(GICD_BASE + 0x4) & 0x1f) + 1;                         // GICD_TYPER.ITLinesNumber
    for (unsigned n = 1; n < lines; n++)
        if (r32(GICD_BASE + 0x100 + 4 * n)) return 1;                             // GICD_ISENABLER<n>
    return 0;
}

// The guest's WFI with nothing pending for it: wait as its vCPU would, for
// a physical interrupt (they are all the guest's) or for its virtual timer's
// condition (KVM wakes a vCPU on it even while the timer's interrupt is
// disabled at the GIC). A WFI of our own waits for the interrupt: PSTATE.I
// is set at EL2, so it wakes the PE without being taken, and the ERET to
// the guest then takes it, an IRQ exit. The timer's condition alone raises
// nothing: watch the counter. With nothing that could wake the guest, its
// WFI just completes, as the architecture allows.
void wait_for_guest_interrupt(void) {
    int timer = (read_sysreg(cntv_ctl_el0) & 3) == 1;                 // ENABLE, not IMASK
    int timer_raises_irq = r32(GICR_BASE + 0x10000 + 0x100) & 1u << VTIMER_PPI;
    int irq_may_come = guest_interrupts_enabled();
    while (!(read_sysreg(isr_el1) & 1u << 7)) {                       // ISR_EL1.I: a physical IRQ pending
        if (timer && !timer_raises_irq) {
            if (read_sysreg(cntvct_el0) >= read_sysreg(cntv_cval_el0)) return;
            continue;
        }
        if (!irq_may_come) return;
        __asm__ volatile("wfi" ::: "memory");
    }
}

// Interrupts waiting for a free list register, oldest first (KVM keeps
// them on the vCPU's ap_list); each guest EOI frees one.
static uint64_t waiting[32];
static unsigned waiting_count;

static int try_inject(uint64_t intid) {
    uint64_t empty = read_sysreg(ich_elrsr_el2);
    for (unsigned n = 0; n < list_registers; n++) {
        if (!(empty & (1ul << n))) continue;
        physical_intid[n] = intid;
        write_lr(n, LR_PENDING | LR_GROUP1 | LR_PRIORITY(GUEST_PRIORITY) | LR_EOI | intid);
        return 1;
    }
    return 0;
}

// Injects physical interrupt `intid` as the same virtual INTID.
static void inject(uint64_t intid) {
    if (waiting_count == 0 && try_inject(intid)) return;
    if (waiting_count == sizeof waiting / sizeof waiting[0]) hyp_stop("too many interrupts waiting for a list register");
    waiting[waiting_count++] = intid;
}

// The guest ended an interrupt whose LR asked for EOI maintenance: free the
// LR (clearing its EOI bit clears ICH_EISR_EL2 and the maintenance
// interrupt's cause) and deactivate the physical interrupt behind it.
static void maintenance(void) {
    uint64_t eisr = read_sysreg(ich_eisr_el2);
    for (unsigned n = 0; n < list_registers; n++) {
        if (!(eisr & (1ul << n))) continue;
        write_lr(n, 0);
        write_sysreg(icc_dir_el1, physical_intid[n]);
    }
    isb();
    unsigned done = 0;
    while (done < waiting_count && try_inject(waiting[done])) done++;
    waiting_count -= done;
    for (unsigned i = 0; i < waiting_count; i++) waiting[i] = waiting[i + done];
}

uint64_t gic_acknowledge(void) {
    uint64_t intid = read_sysreg(icc_iar1_el1);
    dsb(sy);
    return intid;
}

// An IRQ exit: `intid` was acknowledged; drop its priority now, deactivate
// it when done with it.
void handle_irq(uint64_t intid) {
    if (intid == SPURIOUS) return;
    write_sysreg(icc_eoir1_el1, intid);
    isb();
    if (intid != MAINTENANCE_PPI) {
        inject(intid);                     // active until the guest's EOI
        return;
    }
    maintenance();
    write_sysreg(icc_dir_el1, intid);
    isb();
}
