// Hostile guests (issue 8): each variant, chosen by x0 at boot, feeds the
// model values a careless hypervisor would crash or hang on. Every one must
// end with the architecture's behaviour or a clear guest-visible error.
// x0 >= 16 is a device-tree address from the CLI: variant 0.
//   0 MMIO at odd addresses and every width, to devices and to nothing
//   1 PSCI/SMCCC calls with bad arguments (run with --cpus 2)
//   2 semihosting with bad pointers and lengths (ends in SYS_EXIT with a bad block)
//   3 SGIs to targets that do not exist
//   4 timer extremes: CVAL 0 and UINT64_MAX, negative TVAL, IMASK
//   5 VBAR_EL1 pointing nowhere, then an UNDEF (ends in the exception-storm error)
//   6 the guest's own stage-1 tables: loops, output beyond RAM, reserved encodings
//   7 loads and stores without a syndrome, and fetches, on devices and holes
//   8 stage 1 with a 64 KiB granule (el2emu walks 4 KiB tables only: a clear error)
//   9 TTBR0_EL1 beyond RAM, then the MMU on (every fetch faults: the exception storm)
#include "guest.h"
#include "mmu.h"
#include "gic.h"

#define EC(esr) (((esr) >> 26) & 0x3f)
#define FSC(esr) ((esr) & 0x3f)

// ---- shared helpers -------------------------------------------------------

static volatile uint64_t irqs, last_intid;

// Synchronous exceptions are recorded and skipped; an instruction abort
// returns to the caller (x30), since the next instruction would fault too.
// IRQs are acknowledged; the timer is silenced before its EOI.
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    if (kind == 5) {
        uint64_t intid = gic_ack();
        last_intid = intid;
        if (intid == VTIMER_PPI) vtimer_stop();
        if (intid != SPURIOUS) { irqs++; gic_eoi(intid); }
        return elr;
    }
    last_exception.count++;
    last_exception.kind = kind;
    last_exception.esr = esr;
    last_exception.elr = elr;
    if ((kind & 3) == 0 && EC(esr) == 0x21) return frame[19];
    return (kind & 3) == 0 ? elr + 4 : elr;
}

// One access that should take an external abort: EC 0x25, DFSC 0x10.
static int external_abort(uint64_t before) {
    return last_exception.count == before + 1 && EC(last_exception.esr) == 0x25 && FSC(last_exception.esr) == 0x10;
}

// ---- 0: MMIO ---------------------------------------------------------------

#define TESTDEV 0x0A000000ul
// Nothing here, in el2emu or QEMU virt (0x10000000-0x3fffffff is PCI's).
#define HOLE 0x0B000000ul

static uint64_t rd(uint64_t a, int w) {
    switch (w) {
    case 1: return *(volatile uint8_t *)a;
    case 2: return *(volatile uint16_t *)a;
    case 4: return *(volatile uint32_t *)a;
    default: return *(volatile uint64_t *)a;
    }
}
static void wr(uint64_t a, int w, uint64_t v) {
    switch (w) {
    case 1: *(volatile uint8_t *)a = (uint8_t)v; break;
    case 2: *(volatile uint16_t *)a = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)a = (uint32_t)v; break;
    default: *(volatile uint64_t *)a = v; break;
    }
}

static void variant_mmio(void) {
    static const int widths[] = { 1, 2, 4, 8 };
    // The test device: odd addresses at every width, written and read back.
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        int w = widths[i];
        uint64_t a = TESTDEV + 0x201 + 0x10 * i;
        uint64_t mask = w == 8 ? ~0ull : (1ull << (8 * w)) - 1;
        uint64_t v = 0x0123456789abcdefull & mask;
        wr(a, w, v);
        if (rd(a, w) != v) ok = 0;
    }
    check(ok && last_exception.count == 0, "test device: unaligned accesses of every width are emulated");
    // The last byte of the device: wider accesses run off its end; the bytes past it read 0.
    uint64_t before = last_exception.count;
    uint64_t tail = rd(TESTDEV + 0xfff, 1);
    uint64_t tail8 = rd(TESTDEV + 0xfff, 8);
    check(last_exception.count == before && tail8 == tail, "test device: an 8-byte read at its last byte sees that byte only");
    wr(TESTDEV + 0xffd, 8, ~0ull);
    check(last_exception.count == before && rd(TESTDEV + 0xffd, 2) == 0xffff, "test device: a write running off its end keeps the bytes inside");
    // The distributor at an odd address (GICD_CTLR's second byte), every width: emulated, no abort.
    before = last_exception.count;
    for (int i = 0; i < 4; i++) (void)rd(GICD_BASE + 0xfff, widths[i]);
    for (int i = 0; i < 4; i++) wr(GICD_BASE + 0xfff, widths[i], 0);
    check(last_exception.count == before, "GIC distributor: odd-address accesses of every width do not abort");
    // Nothing at these IPAs: every width, read and write, gets an external abort.
    static const uint64_t holes[] = { HOLE, HOLE + 1, 0x0c000007ul, 0x0bfffff9ul };
    ok = 1;
    for (int h = 0; h < 4; h++) {
        for (int i = 0; i < 4; i++) {
            before = last_exception.count;
            (void)rd(holes[h], widths[i]);
            if (!external_abort(before)) ok = 0;
            before = last_exception.count;
            wr(holes[h], widths[i], 0x55);
            if (!external_abort(before)) ok = 0;
        }
    }
    check(ok, "unbacked IPAs: every width, read and write, takes an external abort (EC 0x25 DFSC 0x10)");
    // A load pair from a device has no instruction syndrome: an external abort too.
    before = last_exception.count;
    uint64_t a, b;
    __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(TESTDEV + 0x100) : "memory");
    check(external_abort(before), "test device: LDP (no syndrome) takes an external abort");
    // UART still works afterwards.
    uart_puts("uart after hostile MMIO\n");
}

// ---- 1: PSCI -----------------------------------------------------------------

#define PSCI_NOT_SUPPORTED ((uint64_t)-1)
#define PSCI_INVALID_PARAMETERS ((uint64_t)-2)
#define PSCI_ALREADY_ON ((uint64_t)-4)
#define PSCI_ON_PENDING ((uint64_t)-5)
#define PSCI_INVALID_ADDRESS ((uint64_t)-9)

extern char secondary_entry[];
static volatile uint64_t secondary_ran;
void secondary_main(uint64_t id) { secondary_ran = id; __asm__ volatile("dsb sy; sev" ::: "memory"); }

static void variant_psci(void) {
    check(smc_call(PSCI_CPU_ON, 7, (uint64_t)secondary_entry, 0).x0 == PSCI_INVALID_PARAMETERS, "CPU_ON of cpu7 (absent): INVALID_PARAMETERS");
    check(hvc_call(PSCI_CPU_ON, 0xff00000001ull, (uint64_t)secondary_entry, 0).x0 == PSCI_INVALID_PARAMETERS, "CPU_ON with Aff3/Aff2 set: INVALID_PARAMETERS");
    check(hvc_call(PSCI_CPU_ON, 1, 0x10000000ul, 0).x0 == PSCI_INVALID_ADDRESS, "CPU_ON with entry outside RAM: INVALID_ADDRESS");
    check(hvc_call(PSCI_CPU_ON, 1, ~0ull, 0).x0 == PSCI_INVALID_ADDRESS, "CPU_ON with entry 0xffff...: INVALID_ADDRESS");
    check(hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry + 2, 0).x0 == PSCI_INVALID_ADDRESS, "CPU_ON with a misaligned entry: INVALID_ADDRESS");
    check(hvc_call(PSCI_CPU_ON, 0, (uint64_t)secondary_entry, 0).x0 == PSCI_ALREADY_ON, "CPU_ON of the caller itself: ALREADY_ON");
    check(hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 0x51).x0 == 0, "CPU_ON of cpu1: SUCCESS");
    uint64_t again = hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 0x52).x0;
    check(again == PSCI_ALREADY_ON || again == PSCI_ON_PENDING, "CPU_ON of cpu1 again: ALREADY_ON or ON_PENDING");
    for (int i = 0; i < 100000 && secondary_ran != 0x51; i++) __asm__ volatile("yield");
    check(secondary_ran == 0x51, "cpu1 ran with the first call's context id");
    check(hvc_call(PSCI_AFFINITY_INFO, 0xdeadbeefcafeull, 0, 0).x0 == PSCI_INVALID_PARAMETERS, "AFFINITY_INFO of a bogus MPIDR: INVALID_PARAMETERS");
    check(hvc_call(PSCI_AFFINITY_INFO, 1, 5, 0).x0 == PSCI_INVALID_PARAMETERS, "AFFINITY_INFO at affinity level 5: INVALID_PARAMETERS");
    check(hvc_call(PSCI_AFFINITY_INFO, 0, 0, 0).x0 == 0, "AFFINITY_INFO of cpu0: ON");
    check(hvc_call(0x8400ffffu, ~0ull, ~0ull, ~0ull).x0 == PSCI_NOT_SUPPORTED, "unknown PSCI function: NOT_SUPPORTED");
    check(smc_call(0xC6000001u, 1, 2, 3).x0 == PSCI_NOT_SUPPORTED, "test-service id without the service: NOT_SUPPORTED");
    check(hvc_call(0x00000000u, ~0ull, ~0ull, ~0ull).x0 == PSCI_NOT_SUPPORTED, "function id 0: NOT_SUPPORTED");
    check(hvc_call(0xffffffffu, 0, 0, 0).x0 == PSCI_NOT_SUPPORTED, "function id 0xffffffff: NOT_SUPPORTED");
    check(hvc_call(SMCCC_VERSION, ~0ull, 0x1234, ~0ull).x0 == 0x10001, "SMCCC_VERSION with garbage arguments: 1.1");
    check(hvc_call(0xffffffff00000000ull | PSCI_VERSION, ~0ull, ~0ull, ~0ull).x0 == 0x10000, "PSCI_VERSION with W0's upper half set: 1.0 (W0 only)");
    check(hvc_call(PSCI_FEATURES, 0xdeadbeef, ~0ull, ~0ull).x0 == PSCI_NOT_SUPPORTED, "PSCI_FEATURES of a garbage id: NOT_SUPPORTED");
    __asm__ volatile("hvc #0xffff" ::: "x0", "x1", "x2", "x3", "memory");
    check(last_exception.count == 0, "no exception from any call");
}

// ---- 2: semihosting ------------------------------------------------------------

static uint64_t semihost(uint64_t op, uint64_t arg) {
    register uint64_t x0 __asm__("x0") = op;
    register uint64_t x1 __asm__("x1") = arg;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

#define RAM_END 0x48000000ul

static void variant_semihosting(void) {
    check(semihost(0x04, 0x10000000ul) == (uint64_t)-1, "SYS_WRITE0 of an unmapped pointer returns -1");
    check(semihost(0x04, ~0ull - 3) == (uint64_t)-1, "SYS_WRITE0 of 0xffff...fffc returns -1");
    // The last 16 bytes of RAM, no NUL: the string runs off the end.
    volatile char *end = (volatile char *)(RAM_END - 16);
    for (int i = 0; i < 16; i++) end[i] = 'Z';
    print("[");
    uint64_t r = semihost(0x04, RAM_END - 16);
    print("]\n");
    check(r == (uint64_t)-1, "SYS_WRITE0 of a string without NUL up to the end of RAM returns -1");
    check(semihost(0x03, 0x10000000ul) == (uint64_t)-1, "SYS_WRITEC of an unmapped pointer returns -1");
    check(semihost(0x03, RAM_END) == (uint64_t)-1, "SYS_WRITEC one past the end of RAM returns -1");
    check(semihost(0x99, 0) == (uint64_t)-1, "unknown semihosting operation 0x99 returns -1");
    check(semihost(0xffffffffffffffffull, ~0ull) == (uint64_t)-1, "semihosting operation 0xffff...: -1");
    check(last_exception.count == 0, "no exception from any call");
    print("semihosting exit with a bad block\n");
    semihost(0x18, 0x10000000ul);
    print("FAIL SYS_EXIT returned\n");
}

// ---- 3: SGIs -------------------------------------------------------------------

static void wait_bounded(void) {
    for (int i = 0; i < 2000; i++) __asm__ volatile("isb");
}

static void sgi1r(uint64_t v) { __asm__ volatile("dsb ishst" ::: "memory"); WRITE_SYSREG(S3_0_C12_C11_5, v); ISB(); }

static void variant_sgi(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    IRQ_UNMASK();
    sgi1r((1ull << 24) | 0xfffe);                       // cpus 1-15: none exist
    sgi1r((2ull << 24) | (1ull << 16) | 1);              // Aff1 = 1
    sgi1r((3ull << 24) | (1ull << 32) | 1);              // Aff2 = 1
    sgi1r((4ull << 24) | (1ull << 48) | 1);              // Aff3 = 1
    sgi1r((5ull << 24) | (1ull << 44) | 1);              // RS = 1 (cpus 16..31)
    sgi1r((6ull << 24) | (1ull << 40) | 0xffff);         // IRM: all but self, alone
    sgi1r(~0ull & ~(1ull << 40) & ~0xffffull);           // every other bit set, no target
    wait_bounded();
    check(irqs == 0, "SGIs to absent CPUs, Aff1/2/3 != 0, RS != 0 or IRM alone: nothing arrives");
    sgi1r((9ull << 24) | 1);                             // to self: arrives
    wait_bounded();
    check(irqs == 1 && last_intid == 9, "an SGI to self still arrives");
    check(last_exception.count == 0, "no synchronous exception");
    IRQ_MASK();
}

// ---- 4: timer extremes --------------------------------------------------------------

#define CTL_ENABLE 1
#define CTL_IMASK 2
#define CTL_ISTATUS 4

static void variant_timer(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    // CVAL 0: the condition holds at once.
    IRQ_MASK();
    WRITE_SYSREG(CNTV_CVAL_EL0, 0);
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE);
    ISB();
    check(READ_SYSREG(CNTV_CTL_EL0) & CTL_ISTATUS, "CVAL 0: ISTATUS set");
    uint64_t before = irqs;
    IRQ_UNMASK();
    for (int i = 0; i < 1000 && irqs == before; i++) __asm__ volatile("isb");
    IRQ_MASK();
    check(irqs == before + 1 && last_intid == VTIMER_PPI, "CVAL 0: the interrupt arrives");
    // CVAL 0 with IMASK: ISTATUS set, no interrupt.
    WRITE_SYSREG(CNTV_CVAL_EL0, 0);
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE | CTL_IMASK);
    ISB();
    check(READ_SYSREG(CNTV_CTL_EL0) & CTL_ISTATUS, "CVAL 0 masked: ISTATUS set");
    before = irqs;
    IRQ_UNMASK();
    for (int i = 0; i < 1000; i++) __asm__ volatile("isb");
    IRQ_MASK();
    check(irqs == before, "CVAL 0 masked: no interrupt");
    // CVAL UINT64_MAX: never.
    WRITE_SYSREG(CNTV_CVAL_EL0, ~0ull);
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE);
    ISB();
    check(!(READ_SYSREG(CNTV_CTL_EL0) & CTL_ISTATUS), "CVAL UINT64_MAX: ISTATUS clear");
    before = irqs;
    IRQ_UNMASK();
    // A bounded wait on the counter (a WFI here could never wake).
    for (int i = 0; i < 3 && irqs == before; i++) {
        uint64_t t = READ_SYSREG(CNTVCT_EL0);
        while (READ_SYSREG(CNTVCT_EL0) - t < 1000) {}
    }
    IRQ_MASK();
    check(irqs == before, "CVAL UINT64_MAX: no interrupt");
    // TVAL negative (-2^31): CVAL = CNTVCT - 2^31, as an unsigned 64-bit value.
    uint64_t c0 = READ_SYSREG(CNTVCT_EL0);
    WRITE_SYSREG(CNTV_TVAL_EL0, 0x80000000ul);
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE | CTL_IMASK);
    ISB();
    uint64_t c1 = READ_SYSREG(CNTVCT_EL0);
    uint64_t cval = READ_SYSREG(CNTV_CVAL_EL0);
    check(cval - (c0 - 0x80000000ull) <= c1 - c0, "TVAL 0x80000000: CVAL = CNTVCT - 2^31 (wrapping)");
    int met = READ_SYSREG(CNTVCT_EL0) >= cval;
    check(!!(READ_SYSREG(CNTV_CTL_EL0) & CTL_ISTATUS) == met, "TVAL 0x80000000: ISTATUS is CNTVCT >= CVAL");
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE);
    ISB();
    before = irqs;
    IRQ_UNMASK();
    for (int i = 0; i < 1000 && irqs == before; i++) __asm__ volatile("isb");
    IRQ_MASK();
    check(irqs == before + (uint64_t)met, "TVAL 0x80000000 unmasked: an interrupt iff the condition holds");
    // WFI with the virtual timer at CVAL 0: wakes at once.
    WRITE_SYSREG(CNTV_CVAL_EL0, 0);
    WRITE_SYSREG(CNTV_CTL_EL0, CTL_ENABLE);
    ISB();
    before = irqs;
    for (int i = 0; i < 3 && irqs == before; i++) {
        __asm__ volatile("wfi" ::: "memory");
        IRQ_UNMASK();
        __asm__ volatile("isb" ::: "memory");
        IRQ_MASK();
    }
    check(irqs == before + 1, "CVAL 0: WFI wakes and the interrupt arrives");
    WRITE_SYSREG(CNTV_CTL_EL0, 0);
    check(last_exception.count == 0, "no synchronous exception");
}

// ---- 5: VBAR_EL1 nowhere ---------------------------------------------------------

static void variant_vbar(void) {
    print("VBAR_EL1 -> 0x10000000, then UDF\n");
    WRITE_SYSREG(vbar_el1, 0x10000000ul);
    ISB();
    __asm__ volatile("udf #0" ::: "memory");
    print("FAIL the UDF returned\n");
}

// ---- 6: stage-1 tables ---------------------------------------------------------------

#define L1_TABLE 0x45000000ul
#define L2_TABLE 0x45001000ul
#define L3_TABLE 0x45002000ul
static volatile uint64_t *const l1 = (volatile uint64_t *)L1_TABLE;
static volatile uint64_t *const l2 = (volatile uint64_t *)L2_TABLE;
static volatile uint64_t *const l3 = (volatile uint64_t *)L3_TABLE;

// VA regions (identity: Unicorn 2.0.1 needs VA == IPA):
//   L1[0] devices, L1[1] RAM in 2 MiB blocks, except 0x4600_0000 through L3_TABLE
//   L1[2] 0x8000_0000: a block beyond RAM
//   L1[3] 0xC000_0000: a table descriptor pointing at L1 itself (a loop)
//   L1[4] 0x1_0000_0000: reserved encoding 0b10 (invalid)
//   L1[5] 0x1_4000_0000: a table at 0x2_0000_0000 (beyond RAM)
//   L1[6] 0x1_8000_0000: a table in the test device (MMIO)
//   L3_TABLE[0] block encoding (0b01) at level 3; [1] a valid page; [2] no AF
static void mmu_on(void) {
    mmu_identity_tables(l1, l2, l3);
    l2[(0x46000000ul - 0x40000000ul) >> 21] = L3_TABLE | 3;
    l3[0] = 0x46000000ul | ATTR(0) | SH_INNER | AF | 1;
    l3[1] = 0x46001000ul | ATTR(0) | SH_INNER | AF | 3;
    l3[2] = 0x46002000ul | ATTR(0) | SH_INNER | 3;
    l1[2] = 0x80000000ul | ATTR(0) | SH_INNER | AF | 1;
    l1[3] = L1_TABLE | 3;
    l1[4] = 0x100000000ul | ATTR(0) | AF | 2;
    l1[5] = 0x200000000ul | 3;
    l1[6] = TESTDEV | 3;
    mmu_enable(L1_TABLE);
}

static int faulted(uint64_t before, uint64_t ec, uint64_t fsc) {
    return last_exception.count == before + 1 && EC(last_exception.esr) == ec && FSC(last_exception.esr) == fsc;
}

static void variant_tables(void) {
    mmu_on();
    check((READ_SYSREG(sctlr_el1) & 1) == 1, "stage-1 MMU on");
    uint64_t before = last_exception.count;
    *(volatile uint64_t *)0x46001000ul = 7;
    check(last_exception.count == before && *(volatile uint64_t *)0x46001000ul == 7, "a valid level-3 page works");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x46000000ul;
    check(faulted(before, 0x25, 0x07), "block encoding at level 3: translation fault level 3");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x46002000ul;
    check(faulted(before, 0x25, 0x0b), "page without AF: access flag fault level 3");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x80000010ul;
    check(external_abort(before), "block beyond RAM: external abort (EC 0x25 DFSC 0x10)");
    before = last_exception.count;
    *(volatile uint32_t *)0x80000020ul = 1;
    check(external_abort(before), "write to a block beyond RAM: external abort");
    // The loop: L1[3] -> L1 as level 2, index 3 -> L1 as level 3, index 3: a page without AF.
    before = last_exception.count;
    (void)*(volatile uint64_t *)(0xC0000000ul | (3ul << 21) | (3ul << 12));
    check(faulted(before, 0x25, 0x0b), "self-referencing table: the walk ends (access flag fault level 3)");
    // ... index 4 at level 2 is L1[4], the reserved encoding.
    before = last_exception.count;
    (void)*(volatile uint64_t *)(0xC0000000ul | (4ul << 21));
    check(faulted(before, 0x25, 0x06), "self-referencing table, invalid entry: translation fault level 2");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x100000000ul;
    check(faulted(before, 0x25, 0x05), "reserved encoding 0b10 at level 1: translation fault level 1");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x140000000ul;
    check(external_abort(before), "level-2 table beyond RAM: external abort");
    before = last_exception.count;
    (void)*(volatile uint64_t *)0x180000000ul;
    check(external_abort(before), "level-2 table in MMIO: external abort");
    // Instruction fetches: the handler returns to the caller.
    before = last_exception.count;
    ((void (*)(void))0x100000000ul)();
    check(faulted(before, 0x21, 0x05), "fetch from a reserved level-1 entry: instruction abort (EC 0x21) level 1");
    before = last_exception.count;
    ((void (*)(void))0x80000000ul)();
    check(last_exception.count == before + 1 && EC(last_exception.esr) == 0x21 && FSC(last_exception.esr) == 0x10,
          "fetch from beyond RAM: instruction abort, external (EC 0x21 DFSC 0x10)");
    before = last_exception.count;
    ((void (*)(void))0x46000000ul)();
    check(faulted(before, 0x21, 0x07), "fetch through a level-3 block encoding: instruction abort level 3");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1ull);
    ISB();
    print("MMU off\n");
}


// ---- 7: accesses KVM cannot emulate ---------------------------------------------------

static void variant_odd_accesses(void) {
    uint64_t before, v = 0, st = 0, p;
    before = last_exception.count;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(TESTDEV + 0x100) : "memory");
    check(external_abort(before), "LDXR on the test device: external abort");
    before = last_exception.count;
    __asm__ volatile("stxr %w0, %1, [%2]" : "=&r"(st) : "r"(v), "r"(TESTDEV + 0x100) : "memory");
    // A store-exclusive with no monitor may fail without accessing memory (IMPLEMENTATION DEFINED).
    check(external_abort(before) || (last_exception.count == before && st == 1), "STXR on the test device: external abort, or fails with status 1");
    before = last_exception.count;
    p = TESTDEV + 0x100;
    __asm__ volatile("ldr %0, [%1, #8]!" : "=r"(v), "+r"(p) :: "memory");
    check(external_abort(before), "LDR with writeback on the test device: external abort");
    before = last_exception.count;
    WRITE_SYSREG(cpacr_el1, READ_SYSREG(cpacr_el1) | (3ul << 20));   // FPEN: SIMD allowed
    ISB();
    register uint64_t x8 __asm__("x8") = TESTDEV + 0x100;
    __asm__ volatile(".inst 0x3dc00100" :: "r"(x8) : "memory");     // ldr q0, [x8]
    check(external_abort(before), "LDR Q0 on the test device: external abort");
    before = last_exception.count;
    __asm__ volatile("stp %0, %0, [%1]" :: "r"(v), "r"(HOLE) : "memory");
    check(external_abort(before), "STP to a hole: external abort");
    before = last_exception.count;
    __asm__ volatile("dc zva, %0" :: "r"(HOLE) : "memory");
    check(external_abort(before), "DC ZVA on a hole: external abort");
    before = last_exception.count;
    __asm__ volatile("dc zva, %0" :: "r"(TESTDEV + 0x100) : "memory");
    check(external_abort(before), "DC ZVA on the test device: external abort");
    before = last_exception.count;
    __asm__ volatile("dc civac, %0" :: "r"(HOLE) : "memory");
    check(last_exception.count == before, "DC CIVAC on a hole: no abort");
    before = last_exception.count;
    ((void (*)(void))TESTDEV)();
    check(last_exception.count == before + 1 && EC(last_exception.esr) == 0x21 && FSC(last_exception.esr) == 0x10,
          "fetch from the test device: instruction abort, external");
    before = last_exception.count;
    ((void (*)(void))HOLE)();
    check(last_exception.count == before + 1 && EC(last_exception.esr) == 0x21 && FSC(last_exception.esr) == 0x10,
          "fetch from a hole: instruction abort, external");
    before = last_exception.count;
    (void)*(volatile uint32_t *)(RAM_END - 2);
    check(external_abort(before), "a load across the end of RAM: external abort");
    wr(TESTDEV + 0x100, 8, 0x1122334455667788ull);
    check(rd(TESTDEV + 0x100, 8) == 0x1122334455667788ull, "the test device still answers");
}


// ---- 8, 9: MMU set-ups the model cannot or the guest will not survive -------------------

static void variant_granule(void) {
    mmu_on();                                                        // valid 4 KiB tables ...
    WRITE_SYSREG(tcr_el1, READ_SYSREG(tcr_el1) | (1ul << 14));       // ... then TG0 = 64 KiB
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    (void)*(volatile uint64_t *)0x80000000ul;                        // a fault the model must walk
    print("FAIL the 64 KiB granule went unnoticed\n");
}

static void variant_ttbr(void) {
    print("TTBR0_EL1 -> 0x200000000, MMU on\n");
    WRITE_SYSREG(mair_el1, 0x04ffull);
    WRITE_SYSREG(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) | (2ul << 32));
    WRITE_SYSREG(ttbr0_el1, 0x200000000ul);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1);
    ISB();
    print("FAIL running with the tables beyond RAM\n");
}

int main(uint64_t x0) {
    uint64_t variant = x0 >= 16 ? 0 : x0;
    print("hostile variant "); print_dec(variant); print("\n");
    switch (variant) {
    case 0: variant_mmio(); break;
    case 1: variant_psci(); break;
    case 2: variant_semihosting(); break;
    case 3: variant_sgi(); break;
    case 4: variant_timer(); break;
    case 5: variant_vbar(); break;
    case 6: variant_tables(); break;
    case 7: variant_odd_accesses(); break;
    case 8: variant_granule(); break;
    case 9: variant_ttbr(); break;
    default: print("no such variant\n"); return 99;
    }
    return failures;
}
