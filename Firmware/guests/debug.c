// Self-hosted debug at EL1, as kvm-unit-tests' debug-bp, -wp and -sstep use
// it: the OS lock, a hardware breakpoint, a watchpoint and software step,
// each taken to EL1 with the syndrome the Arm ARM gives (EC 0x31, 0x35,
// 0x33; IFSC/DFSC 0x22, WnR, ISV), PSTATE.D masking them, and the step
// state machine across ERET (SPSR_EL1.SS).
#include "guest.h"

#define EC(esr) (((esr) >> 26) & 0x3f)
#define MDSCR_SS (1ul << 0)
#define MDSCR_KDE (1ul << 13)
#define MDSCR_MDE (1ul << 15)
#define SPSR_D (1ul << 9)
#define SPSR_SS (1ul << 21)
// Enabled, EL1 only (PMC/PAC 0b01), all bytes (BAS).
#define DBGBCR_EL1_ALL (0xful << 5 | 1ul << 1 | 1)
#define DBGWCR_STORE_EL1_8 (0xfful << 5 | 2ul << 3 | 1ul << 1 | 1)

struct seen { uint64_t esr, elr, far, byte; };
static volatile struct seen seen[8];
static volatile uint64_t nseen;
static volatile uint8_t wdata[8] __attribute__((aligned(8)));

extern char bp_target[], wp_store[], step_start[];

// A debug exception is recorded, then returned from with PSTATE.D set (a
// breakpoint or watchpoint goes on past its instruction) or, for a step,
// with SPSR_EL1.SS set (the next instruction is stepped).
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)kind; (void)frame;
    uint64_t n = nseen;
    if (n < 8) {
        seen[n].esr = esr;
        seen[n].elr = elr;
        seen[n].far = READ_SYSREG(far_el1);
        seen[n].byte = wdata[2];
        nseen = n + 1;
    }
    uint64_t spsr = READ_SYSREG(spsr_el1);
    WRITE_SYSREG(spsr_el1, spsr | (EC(esr) == 0x33 ? SPSR_SS : SPSR_D));
    return EC(esr) == 0x33 || EC(esr) == 0x31 || EC(esr) == 0x35 ? elr : elr + 4;
}

__attribute__((noinline)) static void hit_breakpoint(void) {
    __asm__ volatile(".global bp_target\nbp_target: nop\n msr daifset, #8" ::: "memory");
}

__attribute__((noinline)) static void store(void) {
    __asm__ volatile("mov w9, #0x5a\n .global wp_store\nwp_store: strb w9, [%0, #2]\n msr daifset, #8"
                     :: "r"(wdata) : "x9", "memory");
}

static void breakpoint(void) {
    WRITE_SYSREG(dbgbvr0_el1, (uint64_t)bp_target);
    WRITE_SYSREG(dbgbcr0_el1, DBGBCR_EL1_ALL);
    WRITE_SYSREG(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
    ISB();
    uint64_t n = nseen;
    hit_breakpoint();   // PSTATE.D set
    check(nseen == n, "breakpoint: masked by PSTATE.D");
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    hit_breakpoint();
    check(nseen == n + 1 && EC(seen[n].esr) == 0x31 && (seen[n].esr & 0x1ffffff) == 0x22
          && seen[n].elr == (uint64_t)bp_target,
          "breakpoint: EC 0x31 IFSC 0x22 at EL1, ELR = the address, once");
    WRITE_SYSREG(oslar_el1, 1);
    ISB();
    check((READ_SYSREG(oslsr_el1) & 2) != 0, "OS lock: OSLSR_EL1.OSLK set by OSLAR_EL1");
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    hit_breakpoint();
    check(nseen == n + 1, "breakpoint: none while the OS lock is set");
    WRITE_SYSREG(oslar_el1, 0);
    WRITE_SYSREG(dbgbcr0_el1, 0);
    ISB();
}

static void watchpoint(void) {
    wdata[2] = 0x11;
    WRITE_SYSREG(dbgwvr0_el1, (uint64_t)wdata);
    WRITE_SYSREG(dbgwcr0_el1, DBGWCR_STORE_EL1_8);
    ISB();
    uint64_t n = nseen;
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    uint8_t loaded = wdata[2];
    check(nseen == n && loaded == 0x11, "watchpoint: a load does not match a store watchpoint");
    __asm__ volatile("msr daifclr, #8" ::: "memory");
    store();
    check(nseen == n + 1 && EC(seen[n].esr) == 0x35 && (seen[n].esr & 0x1ffffff) == (1 << 6 | 0x22)
          && seen[n].elr == (uint64_t)wp_store && seen[n].far == (uint64_t)&wdata[2],
          "watchpoint: EC 0x35 WnR DFSC 0x22, ELR = the store, FAR = the byte stored");
    check(seen[n].byte == 0x11 && wdata[2] == 0x5a, "watchpoint: taken before the store, which completes after");
    WRITE_SYSREG(dbgwcr0_el1, 0);
    ISB();
}

static void software_step(void) {
    WRITE_SYSREG(mdscr_el1, MDSCR_KDE | MDSCR_SS);
    ISB();
    uint64_t n = nseen;
    __asm__ volatile("msr daifclr, #8\n"
                     ".global step_start\nstep_start: nop\n add x9, x9, #1\n msr daifset, #8" ::: "x9", "memory");
    WRITE_SYSREG(mdscr_el1, 0);
    ISB();
    check(nseen == n + 3, "software step: three steps until PSTATE.D is set again");
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        uint64_t esr = seen[n + i].esr;
        // The first is taken from the active-pending state with nothing stepped yet (ISV 0).
        ok &= EC(esr) == 0x33 && (esr & 0x3f) == 0x22 && ((esr >> 24) & 1) == (i > 0)
              && seen[n + i].elr == (uint64_t)step_start + 4 * i;
    }
    check(ok, "software step: EC 0x33 IFSC 0x22 before each instruction, ISV once one was stepped");
}

int main(void) {
    check((READ_SYSREG(oslsr_el1) & 2) != 0, "OS lock: set at reset");
    WRITE_SYSREG(oslar_el1, 0);
    WRITE_SYSREG(osdlr_el1, 0);
    ISB();
    check((READ_SYSREG(oslsr_el1) & 2) == 0, "OS lock: cleared by OSLAR_EL1");
    breakpoint();
    watchpoint();
    software_step();
    WRITE_SYSREG(mdscr_el1, 0);
    return failures;
}
