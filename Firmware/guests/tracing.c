// A guest that makes one of each event the trace decodes: a trapped MSR
// (HCR_EL2.TVM), DAIF changes, a hypercall, an exception taken at EL1 (SVC)
// and a trapped WFI woken by the virtual timer.
#include "guest.h"

int main(void) {
    // TVM traps writes to SCTLR_EL1: write back its own value.
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    WRITE_SYSREG(sctlr_el1, sctlr);
    check(READ_SYSREG(sctlr_el1) == sctlr, "SCTLR_EL1 write kept its value");

    // Unmask and mask IRQs with nothing pending.
    __asm__ volatile("msr daifclr, #2\n msr daifset, #2" ::: "memory");

    struct hvc_result r = hvc_call(PSCI_VERSION, 0, 0, 0);
    check(r.x0 == 0x10000, "PSCI 1.0 over HVC");

    // The guest's own vectors take the SVC and skip the instruction after it.
    uint64_t before = last_exception.count;
    __asm__ volatile("svc #0x42\n nop" ::: "memory");
    check(last_exception.count == before + 1 && (last_exception.esr >> 26) == 0x15, "SVC taken at EL1");

    // WFI with IRQs masked and the virtual timer armed: blocked until it fires.
    uint64_t now = READ_SYSREG(cntvct_el0);
    WRITE_SYSREG(cntv_cval_el0, now + 1000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    ISB();
    __asm__ volatile("wfi" ::: "memory");
    WRITE_SYSREG(cntv_ctl_el0, 0);
    check(READ_SYSREG(cntvct_el0) >= now + 1000, "WFI woke at the timer deadline");
    return failures;
}
