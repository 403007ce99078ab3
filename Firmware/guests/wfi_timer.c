// WFI until the virtual timer's interrupt (PPI 27) is taken, with interrupts
// unmasked: with TWI the hypervisor blocks the vCPU and injects the PPI; without
// it the vCPU idles in the WFI and the timer's physical IRQ exit injects it.
#include "guest.h"

static volatile uint64_t taken_intid = 1023, irqs;
extern char wfi_site[];

// One WFI at a labelled address ("@wfi 0x...") for the tests.
__attribute__((noinline)) static void wait_for_interrupt(void) {
    __asm__ volatile(".global wfi_site\nwfi_site:\n\twfi" ::: "memory");
}

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)esr; (void)frame;
    if (kind == 5) {                                    // IRQ, current EL with SP_ELx
        uint64_t intid = READ_SYSREG(S3_0_C12_C12_0);    // ICC_IAR1_EL1
        taken_intid = intid;
        irqs++;
        WRITE_SYSREG(cntv_ctl_el0, 0);                  // quiet the timer before EOI
        WRITE_SYSREG(S3_0_C12_C12_1, intid);            // ICC_EOIR1_EL1
        return elr;
    }
    last_exception.count++;
    return elr + 4;
}

int main(void) {
    print("@wfi "); print_hex((uint64_t)wfi_site); print("\n");
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);                   // ICC_PMR_EL1: all priorities
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                    // ICC_IGRPEN1_EL1
    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + 1000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    __asm__ volatile("msr daifclr, #2" ::: "memory");
    uint64_t waits = 0;
    while (irqs == 0 && waits < 1000) { wait_for_interrupt(); waits++; }
    __asm__ volatile("msr daifset, #2" ::: "memory");
    print("waits "); print_dec(waits); print(", intid "); print_dec(taken_intid); print("\n");
    check(irqs == 1 && taken_intid == 27, "the virtual timer interrupt woke the WFI");
    return failures;
}
