// Exception vectors, as kvm-unit-tests' selftest checks them (vectors-kernel,
// vectors-user). x0 selects the variant (x0 >= 16, a device-tree address
// from the CLI, is variant 0):
//   0 at EL1: an UNDEF and an SVC taken at EL1, and a prefetch abort from a
//     stage-1 page whose VA is not its IPA and whose IPA is just past RAM
//     (the default 128 MiB): KVM injects an external abort (EC 0x21, FSC 0x10).
//   1 at EL0: an UNDEF and an SVC from EL0 whose EL1 handler uses EL1 system
//     registers and returns to EL0 (where EL1 registers are UNDEFINED again),
//     an IRQ taken from EL0, and an SVC back to EL1.
#include "guest.h"
#include "mmu.h"
#include "gic.h"

#define EC(esr) (((esr) >> 26) & 0x3f)
#define FSC(esr) ((esr) & 0x3f)
#define KIND_EL1H_SYNC 4
#define KIND_EL1H_IRQ 5
#define KIND_EL0_SYNC 8
#define KIND_EL0_IRQ 9
#define SVC_TO_EL1 0xe1

// What the handler saw, per exception.
struct seen { uint64_t kind, esr, elr, far, spsr, el, tpidr; };
static volatile struct seen seen[8];
static volatile uint64_t nseen, irq_intid;

extern char el1_und[], el1_svc[], user_und[], user_und2[], user_svc[], user_return[];
void enter_user(void (*fn)(void), uint64_t sp);

// Runs at EL1. Each exception is recorded with the EL1 registers a kernel's
// handler reads; an UNDEF is skipped, an SVC returns after itself, an
// instruction abort returns to the caller (x30), SVC #0xe1 from EL0 ends the
// user part (EL1h, at user_return).
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    if (kind == KIND_EL1H_IRQ || kind == KIND_EL0_IRQ) {
        uint64_t intid = gic_ack();
        if (intid == VTIMER_PPI) vtimer_stop();
        if (intid != SPURIOUS) gic_eoi(intid);
        irq_intid = intid;
    }
    uint64_t n = nseen;
    if (n < 8) {
        seen[n].kind = kind;
        seen[n].esr = esr;
        seen[n].elr = elr;
        seen[n].far = READ_SYSREG(far_el1);
        seen[n].spsr = READ_SYSREG(spsr_el1);
        seen[n].el = READ_SYSREG(CurrentEL) >> 2;
        WRITE_SYSREG(tpidr_el1, 0x7e1d0000 + n);
        seen[n].tpidr = READ_SYSREG(tpidr_el1);
        nseen = n + 1;
    }
    if (kind == KIND_EL0_IRQ || kind == KIND_EL1H_IRQ) return elr;
    if (EC(esr) == 0x21) return frame[19];
    if (EC(esr) == 0x15 && (esr & 0xffff) == SVC_TO_EL1) {
        WRITE_SYSREG(spsr_el1, 0x3c5);   // EL1h, DAIF masked
        return (uint64_t)user_return;
    }
    return EC(esr) == 0x15 ? elr : elr + 4;
}

// enter_user(fn, sp): runs fn at EL0 on stack sp; returns when it makes SVC #0xe1.
__asm__(
    "    .global enter_user\n"
    "enter_user:\n"
    "    ldr x9, =kernel_context\n"
    "    stp x19, x20, [x9, #0]\n"
    "    stp x21, x22, [x9, #16]\n"
    "    stp x23, x24, [x9, #32]\n"
    "    stp x25, x26, [x9, #48]\n"
    "    stp x27, x28, [x9, #64]\n"
    "    stp x29, x30, [x9, #80]\n"
    "    mov x10, sp\n"
    "    str x10, [x9, #96]\n"
    "    msr sp_el0, x1\n"
    "    msr elr_el1, x0\n"
    "    msr spsr_el1, xzr\n"               // EL0t, interrupts unmasked
    "    isb\n"
    "    eret\n"
    "    .global user_return\n"
    "user_return:\n"
    "    ldr x9, =kernel_context\n"
    "    ldp x19, x20, [x9, #0]\n"
    "    ldp x21, x22, [x9, #16]\n"
    "    ldp x23, x24, [x9, #32]\n"
    "    ldp x25, x26, [x9, #48]\n"
    "    ldp x27, x28, [x9, #64]\n"
    "    ldp x29, x30, [x9, #80]\n"
    "    ldr x10, [x9, #96]\n"
    "    mov sp, x10\n"
    "    ret\n");
uint64_t kernel_context[13];
static uint64_t user_stack[512] __attribute__((aligned(16)));
static volatile uint64_t user_progress;

// Runs at EL0: no output, no EL1 registers (except to fault on purpose).
static void user_main(void) {
    __asm__ volatile(".global user_und\nuser_und: mrs x0, sctlr_el1" ::: "x0");
    user_progress = 1;
    __asm__ volatile(".global user_svc\nuser_svc: svc #0x7b" ::: "memory");
    user_progress = 2;
    __asm__ volatile(".global user_und2\nuser_und2: mrs x0, vbar_el1" ::: "x0");
    user_progress = 3;
    while (irq_intid != VTIMER_PPI) {}
    user_progress = 4;
    __asm__ volatile("svc #0xe1" ::: "memory");
    for (;;) {}
}

static int saw(uint64_t i, uint64_t kind, uint64_t ec, uint64_t elr) {
    return nseen > i && seen[i].kind == kind && EC(seen[i].esr) == ec && seen[i].elr == elr;
}

// The EL1 registers the handler used: it ran at EL1 and TPIDR_EL1 took its write.
static int handler_at_el1(uint64_t i) {
    return seen[i].el == 1 && seen[i].tpidr == 0x7e1d0000 + i;
}

// ---- variant 0: EL1 ----------------------------------------------------------------

#define L1_TABLE 0x45000000ul
#define L2_TABLE 0x45001000ul
#define RAM_END 0x48000000ul     // the default 128 MiB of RAM from 0x4000_0000
#define PABT_VA 0x80000000ul

static void mmu_on(void) {
    volatile uint64_t *l1 = (volatile uint64_t *)L1_TABLE, *l2 = (volatile uint64_t *)L2_TABLE;
    for (int i = 0; i < 512; i++) { l1[i] = 0; l2[i] = 0; }
    l1[0] = 0x0ul | (1ul << 2) | (1ul << 10) | (3ul << 53) | 1;      // devices, identity
    l1[1] = 0x40000000ul | (3ul << 8) | (1ul << 10) | 1;               // RAM, identity
    l1[2] = L2_TABLE | 3;                                              // VA 2 GiB ...
    l2[0] = RAM_END | (3ul << 8) | (1ul << 10) | 1;                    // ... -> the IPA past RAM
    mmu_enable(L1_TABLE);
}

static void variant_el1(void) {
    uint64_t n = nseen;
    __asm__ volatile(".global el1_und\nel1_und: mrs x0, s3_6_c1_c0_0" ::: "x0");   // SCTLR_EL3
    check(saw(n, KIND_EL1H_SYNC, 0x00, (uint64_t)el1_und) && handler_at_el1(n)
          && (seen[n].spsr & 0xf) == 5, "und: EC 0x00 at EL1h, ELR at the instruction");
    n = nseen;
    __asm__ volatile(".global el1_svc\nel1_svc: svc #123" ::: "memory");
    check(saw(n, KIND_EL1H_SYNC, 0x15, (uint64_t)el1_svc + 4) && (seen[n].esr & 0xffff) == 123 && handler_at_el1(n),
          "svc: EC 0x15 imm 123 at EL1h, ELR after the instruction");

    mmu_on();
    n = nseen;
    ((void (*)(void))PABT_VA)();
    check(saw(n, KIND_EL1H_SYNC, 0x21, PABT_VA) && FSC(seen[n].esr) == 0x10 && seen[n].far == PABT_VA,
          "pabt: fetch from VA 0x80000000 (IPA past RAM): EC 0x21 external abort, FAR = the VA");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~1ull);
    ISB();
}

// ---- variant 1: EL0 ----------------------------------------------------------------

static void variant_el0(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + 100000);   // fires while EL0 waits
    WRITE_SYSREG(cntv_ctl_el0, 1);
    ISB();
    uint64_t n = nseen;
    print("entering EL0\n");
    enter_user(user_main, (uint64_t)&user_stack[512]);
    check((READ_SYSREG(CurrentEL) >> 2) == 1 && READ_SYSREG(vbar_el1) != 0, "back at EL1: EL1 registers readable");
    check(saw(n, KIND_EL0_SYNC, 0x00, (uint64_t)user_und) && handler_at_el1(n) && (seen[n].spsr & 0xf) == 0,
          "und from EL0: taken to EL1 (lower EL), handler uses EL1 registers");
    check(saw(n + 1, KIND_EL0_SYNC, 0x15, (uint64_t)user_svc + 4) && (seen[n + 1].esr & 0xffff) == 0x7b && handler_at_el1(n + 1),
          "svc from EL0: EC 0x15 imm 0x7b, handler uses EL1 registers, returns to EL0");
    check(saw(n + 2, KIND_EL0_SYNC, 0x00, (uint64_t)user_und2) && handler_at_el1(n + 2),
          "back at EL0 after the handler: an EL1 register is UNDEFINED again");
    check(nseen > n + 3 && seen[n + 3].kind == KIND_EL0_IRQ && irq_intid == VTIMER_PPI && handler_at_el1(n + 3),
          "IRQ from EL0: virtual timer taken to EL1 (lower EL), returns to EL0");
    check(nseen > n + 4 && seen[n + 4].kind == KIND_EL0_SYNC && (seen[n + 4].esr & 0xffff) == SVC_TO_EL1 && user_progress == 4,
          "svc #0xe1 from EL0 returns to the kernel at EL1");
}

int main(uint64_t which) {
    if (which >= 16) which = 0;
    if (which == 0) variant_el1();
    if (which == 1) variant_el0();
    return failures;
}
