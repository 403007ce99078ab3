// HCR_EL2.VI and HCR_EL2.VSE raising virtual interrupts directly. Needs an
// EL2 that answers three test calls (the VirtualInterruptLineTests harness):
// HVC x0=VI_SET sets HCR_EL2.VI, VI_CLEAR clears it, VSE_SET sets HCR_EL2.VSE.
#include "guest.h"

#define VI_SET 0xC6000001u
#define VI_CLEAR 0xC6000002u
#define VSE_SET 0xC6000003u

static volatile uint64_t irqs, irq_elr, serrors, serror_esr, serror_elr;
extern char after_vi_set[], after_unmask_a[];

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if (kind == 5) {                       // IRQ from the virtual line: ask EL2 to lower it
        irqs++; irq_elr = elr;
        hvc_call(VI_CLEAR, 0, 0, 0);
        return elr;
    }
    if (kind == 7) { serrors++; serror_esr = esr; serror_elr = elr; return elr; }
    last_exception.count++;
    return (kind & 3) == 0 ? elr + 4 : elr;
}

int main(void) {
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    register uint64_t x0 __asm__("x0") = VI_SET;
    __asm__ volatile("hvc #0\n.global after_vi_set\nafter_vi_set:\n nop" : "+r"(x0) :: "x1", "x2", "x3", "memory");
    check(irqs == 1, "HCR_EL2.VI: one virtual IRQ");
    check(irq_elr == (uint64_t)after_vi_set, "taken on the ERET right after the HVC");

    hvc_call(VSE_SET, 0, 0, 0);
    check(serrors == 0, "HCR_EL2.VSE: held off while PSTATE.A is set");
    __asm__ volatile("msr daifclr, #4\n.global after_unmask_a\nafter_unmask_a:\n nop" ::: "memory");
    check(serrors == 1, "virtual SError taken at the unmask");
    check(serror_elr == (uint64_t)after_unmask_a, "virtual SError returns after MSR DAIFClr");
    check((serror_esr >> 26) == 0x2f, "ESR_EL1.EC is SError");
    __asm__ volatile("msr daifset, #4\n msr daifclr, #4" ::: "memory");
    check(serrors == 1, "taking it cleared HCR_EL2.VSE");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
