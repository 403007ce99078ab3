// A store's first stage-2 abort right after the virtual CPU interface served
// an MSR (whose hook moves the PC past it): the abort is taken once, at the
// store, and what the instructions before it did is done once. Unicorn 2.1.4
// would exit from that abort with a stale PC, and run those instructions
// again, if the MSR hook's PC write had asked it not to restore the PC
// (Engine.blockEndsAfterHook).
#include "guest.h"

static volatile uint64_t counter;

int main(void) {
    volatile uint32_t *uart_dr = (volatile uint32_t *)0x09000000;
    counter = 0;   // the page is in the TLB before the sequence
    __asm__ volatile(
        "msr S3_0_C4_C6_0, %[pmr]\n"   // ICC_PMR_EL1, served without an exit
        "ldr x9, [%[counter]]\n"
        "add x9, x9, #1\n"
        "str x9, [%[counter]]\n"
        "mov w10, #0x41\n"
        "str w10, [%[uart]]\n"          // 'A' to the PL011: this PC's first stage-2 abort
        :: [pmr] "r"((uint64_t)0xf0), [counter] "r"(&counter), [uart] "r"(uart_dr)
        : "x9", "x10", "memory");
    print("\n");
    check(counter == 1, "the instructions before the faulting store ran once");
    return failures;
}
