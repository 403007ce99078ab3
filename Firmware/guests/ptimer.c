// The EL1 physical timer (CNTP_*, PPI 30) on virtual time: armed with
// CNTP_TVAL, the vCPU sleeps in WFI until it fires, twice.
#include "guest.h"
#include "gic.h"

#define TICKS 3125   // 50 us at 62.5 MHz

static volatile uint64_t fired, last_intid, fired_at;

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    last_intid = intid;
    if (intid != PTIMER_PPI) return;
    fired_at = READ_SYSREG(CNTPCT_EL0);
    WRITE_SYSREG(CNTP_CTL_EL0, 0);
    ISB();
    fired++;
}

GIC_GUEST_EXCEPTION_HANDLER(took)

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    int on_time = 1;
    for (int i = 0; i < 2; i++) {
        uint64_t before = fired;
        WRITE_SYSREG(CNTP_TVAL_EL0, TICKS);
        WRITE_SYSREG(CNTP_CTL_EL0, 1);
        ISB();
        uint64_t cval = READ_SYSREG(CNTP_CVAL_EL0);
        wait_for_change(&fired, before);
        if (fired_at < cval) on_time = 0;
    }
    check(fired == 2, "the EL1 physical timer fired twice");
    check(last_intid == PTIMER_PPI, "ICC_IAR1_EL1 returned PPI 30");
    check(on_time, "not before CNTP_CVAL");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
