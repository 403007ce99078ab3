// A guest that starts at EL2 and owns it (`--entry-el 2`), as under QEMU
// with virtualization=on. It does what kvm-unit-tests' init_el does: with
// ID_AA64MMFR1_EL1.VH it becomes a VHE host (HCR_EL2 = E2H|TGE|RW) and stays
// at EL2; without, it ERETs to EL1t. Then, at the EL it ended at: an SVC
// and (VHE) an HVC taken at that EL with the SPSR mode recorded, PSCI over
// SMC (version, CPU_ON of vCPU 1, which starts at EL2 and does init_el too,
// AFFINITY_INFO), and a timer interrupt: CNTV_* reach the EL2 virtual timer
// (PPI 28) on the VHE host, the EL1 virtual timer (PPI 27) at EL1.
#include "guest.h"
#include "gic.h"
#include "el2.h"

#define HVTIMER_PPI 28
#define EC(esr) (((esr) >> 26) & 0x3f)

static volatile uint64_t sync_count, sync_esr, sync_spsr, sync_el, sync_kind;
static volatile uint64_t irq_intid, secondary_el, secondary_hcr, secondary_done;
static volatile uint64_t vh;
extern char secondary_entry[];

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if ((kind & 3) == 1) {
        uint64_t intid = gic_ack();
        if (intid == VTIMER_PPI || intid == HVTIMER_PPI) vtimer_stop();
        if (intid != SPURIOUS) gic_eoi(intid);
        irq_intid = intid;
        return elr;
    }
    sync_count++;
    sync_kind = kind;
    sync_esr = esr;
    sync_spsr = READ_SYSREG(spsr_el1);   // SPSR_EL2 on the VHE host (E2H)
    sync_el = READ_SYSREG(CurrentEL) >> 2;
    return elr;                          // SVC and HVC return past themselves
}

void secondary_main(uint64_t id) {
    (void)id;
    init_el();
    secondary_el = READ_SYSREG(CurrentEL) >> 2;
    if (vh) secondary_hcr = READ_SYSREG(hcr_el2);
    secondary_done = 1;
    smc_call(PSCI_CPU_OFF, 0, 0, 0);
}

int main(void) {
    uint64_t el = READ_SYSREG(CurrentEL) >> 2;
    print("CurrentEL at entry = EL"); print_dec(el); print("\n");
    check(el == 2, "starts at EL2");
    check(((READ_SYSREG(ID_AA64PFR0_EL1) >> 8) & 0xf) != 0, "ID_AA64PFR0_EL1 shows EL2 implemented");
    vh = (READ_SYSREG(ID_AA64MMFR1_EL1) >> 8) & 0xf;
    print(vh ? "ID_AA64MMFR1_EL1.VH = 1: VHE host\n" : "ID_AA64MMFR1_EL1.VH = 0: ERET to EL1\n");

    init_el();
    el = READ_SYSREG(CurrentEL) >> 2;
    print("CurrentEL after init_el = EL"); print_dec(el); print("\n");
    if (vh) {
        check(el == 2, "init_el: a VHE host stays at EL2");
        check(READ_SYSREG(hcr_el2) == 0x488000000ull, "HCR_EL2 reads back E2H|TGE|RW");
        check(READ_SYSREG(vmpidr_el2) == READ_SYSREG(mpidr_el1), "VMPIDR_EL2 holds what init_el wrote");
    } else {
        check(el == 1, "init_el: ERET from EL2 to EL1");
    }

    // A synchronous exception taken at the current EL, and its return.
    __asm__ volatile("svc #0x51" ::: "memory");
    check(sync_count == 1 && EC(sync_esr) == 0x15 && (sync_esr & 0xffff) == 0x51, "SVC taken at the current EL (EC 0x15)");
    check(sync_kind == 4, "SVC taken at the current EL with SPx (vector +0x200)");
    check(sync_el == el, "the handler runs at the EL of the SVC");
    check((sync_spsr & 0xf) == (vh ? 0x9 : 0x5), vh ? "SPSR records EL2h" : "SPSR records EL1h");
    if (vh) {
        // HVC at EL2 is taken to EL2, to its own vectors.
        __asm__ volatile("hvc #0x42" ::: "memory");
        check(sync_count == 2 && EC(sync_esr) == 0x16 && (sync_esr & 0xffff) == 0x42, "HVC at EL2 taken to EL2 (EC 0x16)");
        check((sync_spsr & 0xf) == 0x9, "HVC: SPSR records EL2h");
    }
    check((READ_SYSREG(CurrentEL) >> 2) == el, "ERET returned to the same EL");

    // PSCI over SMC: EL3 firmware.
    uint64_t version = smc_call(PSCI_VERSION, 0, 0, 0).x0;
    check(version == 0x10000, "PSCI_VERSION over SMC: 1.0");
    int64_t on = (int64_t)smc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1).x0;
    check(on == 0, "CPU_ON of vCPU 1 over SMC (needs --cpus 2)");
    if (on == 0) {   // with one vCPU there is nothing to wait for
        while (!secondary_done) __asm__ volatile("yield");
        check(secondary_el == el, "vCPU 1 started at EL2 and ran init_el to the same EL");
        if (vh) check(secondary_hcr == 0x488000000ull, "vCPU 1's HCR_EL2: E2H|TGE|RW");
        int64_t aff = 0;
        for (int i = 0; i < 1000 && (aff = (int64_t)smc_call(PSCI_AFFINITY_INFO, 1, 0, 0).x0) == 0; i++) __asm__ volatile("yield");
        check(aff == 1, "AFFINITY_INFO: vCPU 1 is off after CPU_OFF");
    }

    // The timer: CNTV_* is the EL2 virtual timer on the VHE host (PPI 28).
    unsigned want = vh ? HVTIMER_PPI : VTIMER_PPI;
    gic_init_distributor();
    gic_init_cpu(0);
    w32(GICR_BASE + 0x10000 + 0x100, 1u << want);
    irq_intid = SPURIOUS;
    vtimer_arm(1000);
    wait_for_change(&irq_intid, SPURIOUS);
    print("timer interrupt INTID "); print_dec(irq_intid); print("\n");
    check(irq_intid == want, vh ? "CNTV_* at EL2: the EL2 virtual timer's PPI 28" : "CNTV_* at EL1: the virtual timer's PPI 27");
    if (vh) {
        // *_EL02 from the VHE host reaches the EL1 virtual timer (an encoding
        // Unicorn's EL1 lacks, so the model steps past it).
        WRITE_SYSREG(S3_5_C14_C3_2, 0x1234);   // CNTV_CVAL_EL02
        check(READ_SYSREG(S3_5_C14_C3_2) == 0x1234, "CNTV_CVAL_EL02 reaches the EL1 virtual timer");
    }
    return failures;
}
