// The PL031's match interrupt through the vGIC (SPI 34, level-sensitive):
// pending in the distributor while RTCRIS & RTCIMSC, taken once enabled,
// gone once the guest clears it with RTCICR, and waking a WFI when it rises.
// Entered at EL2 (`--entry-el 2`) it runs init_el first and the line is a
// physical SPI of the GIC it owns.
#include "guest.h"
#include "gic.h"
#include "el2.h"

#define RTC 0x09010000ul
#define RTC_SPI 34
#define GICD_ISENABLER1 (GICD_BASE + 0x104)
#define GICD_ISPENDR1 (GICD_BASE + 0x204)

static volatile uint64_t taken, ris_in_handler = 99, ris_after_clear = 99;

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    if (intid != RTC_SPI) return;
    taken++;
    ris_in_handler = r32(RTC + 0x14);
    w32(RTC + 0x1C, 1);                 // RTCICR
    ris_after_clear = r32(RTC + 0x14);
}

GIC_GUEST_EXCEPTION_HANDLER(took)

static int spi_pending(void) { return (r32(GICD_ISPENDR1) >> (RTC_SPI - 32)) & 1; }

int main(void) {
    init_el();
    gic_init_distributor();
    gic_init_cpu(0);
    w32(RTC + 0x08, 1000);              // RTCLR
    w32(RTC + 0x04, 1001);              // RTCMR: one second on
    uint64_t until = READ_SYSREG(CNTVCT_EL0) + 2 * READ_SYSREG(CNTFRQ_EL0);
    while (READ_SYSREG(CNTVCT_EL0) < until) {}   // two seconds (a spin-wait, fast-forwarded)
    check(r32(RTC) >= 1002, "RTCDR counted two seconds");
    check(r32(RTC + 0x14) == 1, "RTCRIS: the match was reached");
    check(!spi_pending(), "masked (RTCIMSC = 0): SPI 34 not pending");
    w32(RTC + 0x10, 1);                 // RTCIMSC
    check(spi_pending(), "unmasked: SPI 34 pending in the distributor");
    check(taken == 0, "not taken while the SPI is disabled");
    w32(GICD_ISENABLER1, 1u << (RTC_SPI - 32));
    IRQ_UNMASK();
    __asm__ volatile("isb" ::: "memory");
    IRQ_MASK();
    check(taken == 1, "taken once after enabling it");
    check(ris_in_handler == 1 && ris_after_clear == 0, "the handler saw RTCRIS 1, then 0 after RTCICR");
    check(!spi_pending(), "cleared: SPI 34 no longer pending");

    // A WFI with nothing else to wake it: the next match's interrupt does.
    taken = 0;
    w32(RTC + 0x04, r32(RTC) + 1);      // RTCMR: the next second
    IRQ_UNMASK();
    __asm__ volatile("wfi" ::: "memory");
    IRQ_MASK();
    check(taken == 1, "a WFI is woken by the next match's interrupt");
    return failures;
}
