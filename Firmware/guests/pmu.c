// The PMUv3 the hypervisor emulates (what kvm-unit-tests' pmu checks): the
// cycle counter on virtual time (not while blocked in WFI), INST_RETIRED and
// MEM_ACCESS event counters over loops of known length, SW_INCR counting only while PMCR_EL0.E is set, CHAIN, and an event
// counter's overflow raising PPI 23, taken once and cleared through PMOVSCLR.
// Entered at EL2 (`--entry-el 2`) it runs on the PE's own PMU, where the
// count is exact; its IRQ is not taken there (the model takes none at EL2
// without E2H), so that part is left out.
#include "guest.h"
#include "gic.h"

#define PMCR_E (1ul << 0)
#define PMCR_P (1ul << 1)
#define PMCR_C (1ul << 2)
#define PMCR_LC (1ul << 6)
#define CYCLE_COUNTER (1ul << 31)
#define SW_INCR 0x00
#define INST_RETIRED 0x08
#define MEM_ACCESS 0x13
#define CHAIN 0x1e
#define PMU_PPI 23
#define LOOPS 500

static volatile uint64_t taken, overflow_seen = 99, overflow_after_clear = 99;

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    if (intid != PMU_PPI) return;
    taken++;
    overflow_seen = READ_SYSREG(pmovsclr_el0);
    WRITE_SYSREG(pmovsclr_el0, overflow_seen);
    overflow_after_clear = READ_SYSREG(pmovsclr_el0);
}

GIC_GUEST_EXCEPTION_HANDLER(took)

// PMCR_EL0 = pmcr, then 2 * LOOPS instructions, then PMCR_EL0 = 0 (as kvm-unit-tests' precise_instrs_loop).
static void counted_loop(uint64_t pmcr) {
    uint64_t n = LOOPS;
    __asm__ volatile("msr pmcr_el0, %[pmcr]\n isb\n"
                     "1: subs %[n], %[n], #1\n b.gt 1b\n"
                     "msr pmcr_el0, xzr\n isb"
                     : [n] "+r"(n) : [pmcr] "r"(pmcr) : "cc", "memory");
}

static void reset(void) {
    WRITE_SYSREG(pmcr_el0, PMCR_LC | PMCR_C | PMCR_P);
    WRITE_SYSREG(pmcntenclr_el0, 0xffffffff);
    WRITE_SYSREG(pmovsclr_el0, 0xffffffff);
    WRITE_SYSREG(pmintenclr_el1, 0xffffffff);
    ISB();
}

int main(void) {
    // At EL2 the counters count only with the filters' NSH bit (as kvm-unit-tests sets it there).
    int el2 = (READ_SYSREG(CurrentEL) >> 2) == 2;
    uint64_t nsh = el2 ? 1ul << 27 : 0;
    uint64_t pmcr = READ_SYSREG(pmcr_el0);
    gic_init_distributor();
    gic_init_cpu(0);
    check(((READ_SYSREG(id_aa64dfr0_el1) >> 8) & 0xf) == 1, "ID_AA64DFR0_EL1.PMUVer: PMUv3");
    check(((pmcr >> 11) & 0x1f) == 4, "PMCR_EL0.N: 4 event counters");
    uint64_t events = READ_SYSREG(pmceid0_el0);
    check(events == (1ul << SW_INCR | 1ul << INST_RETIRED | 1ul << 0x11 | 1ul << 0x13 | 1ul << 0x1e),
          "PMCEID0_EL0: SW_INCR, INST_RETIRED, CPU_CYCLES, MEM_ACCESS, CHAIN");

    // The cycle counter: advances between two reads, and counts a loop.
    reset();
    WRITE_SYSREG(pmcntenset_el0, CYCLE_COUNTER);
    WRITE_SYSREG(pmccfiltr_el0, nsh);
    WRITE_SYSREG(pmcr_el0, PMCR_LC | PMCR_E);
    ISB();
    uint64_t a = READ_SYSREG(pmccntr_el0), b = READ_SYSREG(pmccntr_el0);
    check(b > a, "PMCCNTR_EL0 advances between two reads");
    WRITE_SYSREG(pmccntr_el0, 0);
    counted_loop(PMCR_LC | PMCR_E);
    uint64_t cycles = READ_SYSREG(pmccntr_el0);
    check(cycles >= 2 * LOOPS, "PMCCNTR_EL0 counts at least a cycle per instruction of a loop");
    if (!el2) {
        // A millisecond (2,000,000 cycles) blocked in a trapped WFI until the timer: not counted.
        WRITE_SYSREG(pmcr_el0, PMCR_LC | PMCR_E | PMCR_C);
        vtimer_arm(62500);
        __asm__ volatile("wfi" ::: "memory");
        vtimer_stop();
        cycles = READ_SYSREG(pmccntr_el0);
        print("cycles across the WFI: "); print_dec(cycles); print("\n");
        check(cycles < 200000, "PMCCNTR_EL0 does not count the time blocked in WFI");
    }

    // INST_RETIRED on counter 1, only the loop counted.
    reset();
    WRITE_SYSREG(pmevtyper1_el0, INST_RETIRED | nsh);
    WRITE_SYSREG(pmcntenset_el0, 1ul << 1);
    counted_loop(PMCR_LC | PMCR_E);
    uint64_t retired = READ_SYSREG(pmevcntr1_el0);
    print("instructions retired: "); print_dec(retired); print("\n");
    check(retired >= 2 * LOOPS && retired <= 2 * LOOPS + 8, "INST_RETIRED counts the loop's instructions");
    if (el2) check(retired == 2 * LOOPS + 2, "at EL2: INST_RETIRED counts the MSR, the ISB and the loop, exactly");

    // MEM_ACCESS on counter 2: a loop of LOOPS loads.
    reset();
    WRITE_SYSREG(pmevtyper2_el0, MEM_ACCESS | nsh);
    WRITE_SYSREG(pmcntenset_el0, 1ul << 2);
    uint64_t n = LOOPS, scratch;
    __asm__ volatile("msr pmcr_el0, %[pmcr]\n isb\n"
                     "1: ldr %[v], [%[a]]\n subs %[n], %[n], #1\n b.gt 1b\n"
                     "msr pmcr_el0, xzr\n isb"
                     : [n] "+r"(n), [v] "=&r"(scratch) : [pmcr] "r"(PMCR_LC | PMCR_E), [a] "r"(&taken) : "cc", "memory");
    uint64_t accesses = READ_SYSREG(pmevcntr2_el0);
    print("memory accesses: "); print_dec(accesses); print("\n");
    check(accesses >= LOOPS && accesses <= LOOPS + 8, "MEM_ACCESS counts the loop's loads");

    // SW_INCR on counter 0 through PMSELR/PMXEVTYPER; PMCR_EL0.E gates it.
    reset();
    WRITE_SYSREG(pmselr_el0, 0);
    WRITE_SYSREG(pmxevtyper_el0, SW_INCR);
    WRITE_SYSREG(pmcntenset_el0, 1);
    for (int i = 0; i < 10; i++) WRITE_SYSREG(pmswinc_el0, 1);
    check(READ_SYSREG(pmevcntr0_el0) == 0, "SW_INCR: no count while PMCR_EL0.E is clear");
    WRITE_SYSREG(pmcr_el0, PMCR_LC | PMCR_E);
    for (int i = 0; i < 10; i++) WRITE_SYSREG(pmswinc_el0, 1);
    check(READ_SYSREG(pmxevcntr_el0) == 10, "SW_INCR: ten increments counted");

    // CHAIN: counter 3 counts the overflows of counter 2 (SW_INCR).
    WRITE_SYSREG(pmevtyper2_el0, SW_INCR);
    WRITE_SYSREG(pmevtyper3_el0, CHAIN);
    WRITE_SYSREG(pmevcntr2_el0, 0xffffffff);
    WRITE_SYSREG(pmcntenset_el0, 1ul << 3 | 1ul << 2);
    WRITE_SYSREG(pmswinc_el0, 1ul << 2);
    check(READ_SYSREG(pmevcntr2_el0) == 0 && READ_SYSREG(pmevcntr3_el0) == 1 && READ_SYSREG(pmovsclr_el0) == 1ul << 2,
          "CHAIN: the odd counter counts the even one's overflow");
    reset();

    // Overflow of counter 0 with its interrupt enabled: PPI 23.
    w32(GICR_BASE + 0x10000 + 0x100, 1u << PMU_PPI);   // GICR_ISENABLER0
    WRITE_SYSREG(pmevtyper0_el0, SW_INCR);
    WRITE_SYSREG(pmcntenset_el0, 1);
    WRITE_SYSREG(pmcr_el0, PMCR_LC | PMCR_E);
    WRITE_SYSREG(pmevcntr0_el0, 0xffffffff);
    WRITE_SYSREG(pmswinc_el0, 1);
    check(READ_SYSREG(pmovsclr_el0) == 1 && READ_SYSREG(pmevcntr0_el0) == 0, "overflow: PMOVSSET bit 0, the counter wrapped to 0");
    check(taken == 0, "overflow: no interrupt while PMINTENSET_EL1 is clear");
    if (el2) { reset(); return failures; }
    WRITE_SYSREG(pmovsclr_el0, 1);
    WRITE_SYSREG(pmintenset_el1, 1);
    WRITE_SYSREG(pmevcntr0_el0, 0xffffffff);
    IRQ_UNMASK();
    WRITE_SYSREG(pmswinc_el0, 1);
    ISB();
    IRQ_MASK();
    check(taken == 1, "overflow: PPI 23 taken once");
    check(overflow_seen == 1 && overflow_after_clear == 0, "overflow: the handler saw PMOVSCLR bit 0, then 0 after clearing it");
    reset();
    return failures;
}
