// DAIF and virtual interrupt delivery: with IRQs masked (MSR DAIFSet) the
// virtual timer fires and its interrupt stays pending; it must be taken
// exactly at the unmask: first by MSR DAIFClr, then by MSR DAIF, xzr.
#include "guest.h"
#include "gic.h"

static volatile uint64_t fired, irq_elr;

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)esr; (void)frame;
    if (kind == 5) {
        uint64_t intid = gic_ack();
        if (intid == VTIMER_PPI) { vtimer_stop(); fired++; irq_elr = elr; }
        if (intid != SPURIOUS) gic_eoi(intid);
        return elr;
    }
    last_exception.count++;
    return (kind & 3) == 0 ? elr + 4 : elr;
}

extern char after_daifclr[], after_msr_daif[];

// Spins long enough (in instructions) for the timer to have fired.
static void spin_until_condition(void) {
    while ((READ_SYSREG(CNTV_CTL_EL0) & 4) == 0) {}
    for (volatile int i = 0; i < 1000; i++) {}
}

__attribute__((noinline)) static void unmask_with_daifclr(void) {
    __asm__ volatile("msr daifclr, #2\n"
                     ".global after_daifclr\n"
                     "after_daifclr:\n"
                     "nop" ::: "memory");
}

__attribute__((noinline)) static void unmask_with_msr_daif(void) {
    __asm__ volatile("msr daif, xzr\n"
                     ".global after_msr_daif\n"
                     "after_msr_daif:\n"
                     "nop" ::: "memory");
}

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);

    IRQ_MASK();
    vtimer_arm(100);
    spin_until_condition();
    check(fired == 0, "masked: the timer interrupt is held off");
    unmask_with_daifclr();
    check(fired == 1, "taken once IRQs are unmasked");
    check(irq_elr == (uint64_t)after_daifclr, "taken right after MSR DAIFClr (ELR_EL1)");

    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    vtimer_arm(100);
    spin_until_condition();
    check(fired == 1, "masked again: held off");
    unmask_with_msr_daif();
    check(fired == 2, "taken after MSR DAIF");
    check(irq_elr == (uint64_t)after_msr_daif, "taken right after MSR DAIF, xzr (ELR_EL1)");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
