// The virtual timer: program CNTV_TVAL, sleep in WFI until PPI 27 arrives,
// acknowledge and end it through ICC_IAR1/EOIR1 (served from the list
// registers, no exit), three times. Run with TWI set (WFI exits and the
// hypervisor blocks the vCPU) and clear (WFI idles on the PE).
#include "guest.h"
#include "gic.h"

#define ROUNDS 3
#define TICKS 6250   // 100 us at 62.5 MHz

static volatile uint64_t fired, last_intid, fired_at;

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)esr; (void)frame;
    if (kind == 5) {                       // IRQ, current EL with SP_ELx
        uint64_t intid = gic_ack();
        last_intid = intid;
        if (intid == VTIMER_PPI) {
            fired_at = READ_SYSREG(CNTVCT_EL0);
            vtimer_stop();                 // the level drops before the EOI
            fired++;
        }
        if (intid != SPURIOUS) gic_eoi(intid);
        return elr;
    }
    last_exception.count++;
    last_exception.kind = kind;
    return (kind & 3) == 0 ? elr + 4 : elr;
}

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    check(gic_ack() == SPURIOUS, "ICC_IAR1_EL1 reads 1023 with nothing pending");
    check(READ_SYSREG(S3_0_C4_C6_0) == 0xf8, "ICC_PMR_EL1 keeps its 5 implemented priority bits (0xff reads 0xf8)");
    check(READ_SYSREG(S3_0_C12_C12_7) == 1, "ICC_IGRPEN1_EL1 reads back 1");
    check(READ_SYSREG(CNTFRQ_EL0) == 62500000, "CNTFRQ_EL0 is 62.5 MHz");
    int on_time = 1;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t before = fired;
        uint64_t start = READ_SYSREG(CNTVCT_EL0);
        vtimer_arm(TICKS);
        uint64_t cval = READ_SYSREG(CNTV_CVAL_EL0);
        wait_for_change(&fired, before);
        if (fired_at < cval || fired_at < start + TICKS) on_time = 0;
    }
    check(fired == ROUNDS, "the virtual timer fired once per round");
    check(last_intid == VTIMER_PPI, "ICC_IAR1_EL1 returned PPI 27");
    check(on_time, "no interrupt before CNTV_CVAL");
    check((READ_SYSREG(CNTV_CTL_EL0) & 1) == 0, "timer left disabled");
    check(last_exception.count == 0, "no unexpected exception");
    print("timer interrupts: "); print_dec(fired); print("\n");
    return failures;
}
