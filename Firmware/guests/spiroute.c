// SPI routing with GICD_IROUTER: the PL031's match interrupt (SPI 34) goes
// to the vCPU its IROUTER names. vCPU 0 routes it to vCPU 1, which sleeps in
// WFI until it takes it; then back to vCPU 0. Each vCPU counts what it takes.
#include "guest.h"
#include "gic.h"

#define RTC 0x09010000ul
#define RTC_SPI 34
#define GICD_ISENABLER1 (GICD_BASE + 0x104)
#define GICD_IROUTER(n) (GICD_BASE + 0x6000 + 8 * (n))

static volatile uint64_t taken[2], online1, stray;
extern char secondary_entry[];

static unsigned cpu_index(void) { return (unsigned)(READ_SYSREG(MPIDR_EL1) & 0xff); }

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    if (intid != RTC_SPI) { if (intid != SPURIOUS) stray++; return; }
    taken[cpu_index() & 1]++;
    w32(RTC + 0x1C, 1);                 // RTCICR: the line drops
}

GIC_GUEST_EXCEPTION_HANDLER(took)

static uint64_t irouter(void) { return *(volatile uint64_t *)GICD_IROUTER(RTC_SPI); }
static void set_irouter(uint64_t v) { *(volatile uint64_t *)GICD_IROUTER(RTC_SPI) = v; __asm__ volatile("dsb sy" ::: "memory"); }

// vCPU 1: takes what is routed to it, sleeping in WFI.
void secondary_main(uint64_t id) {
    (void)id;
    gic_init_cpu(1);
    online1 = 1;
    wait_for_change(&taken[1], 0);
    for (;;) __asm__ volatile("wfi" ::: "memory");
}

// The next RTC match, one second on.
static void next_match(void) { w32(RTC + 0x04, r32(RTC) + 1); }

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    w32(GICD_BASE + 0x84, 1u << (RTC_SPI - 32));   // IGROUPR1: Group 1 (QEMU resets SPIs to Group 0)
    check(irouter() == 0, "GICD_IROUTER of SPI 34 resets to 0 (vCPU 0)");
    check((int64_t)hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 0).x0 == 0, "CPU_ON vCPU 1");
    while (!online1) {}

    set_irouter(1);
    check(irouter() == 1, "GICD_IROUTER reads back Aff0 = 1");
    w32(RTC + 0x10, 1);                 // RTCIMSC
    w32(GICD_ISENABLER1, 1u << (RTC_SPI - 32));
    next_match();
    // vCPU 0 spins with IRQs open: the SPI is vCPU 1's.
    IRQ_UNMASK();
    uint64_t until = READ_SYSREG(CNTVCT_EL0) + 3 * READ_SYSREG(CNTFRQ_EL0);
    while (!taken[1] && READ_SYSREG(CNTVCT_EL0) < until) {}
    IRQ_MASK();
    check(taken[1] == 1, "routed to vCPU 1: taken there");
    check(taken[0] == 0, "not taken on vCPU 0");

    set_irouter(0);
    check(irouter() == 0, "GICD_IROUTER reads back Aff0 = 0");
    next_match();
    IRQ_UNMASK();
    __asm__ volatile("wfi" ::: "memory");
    IRQ_MASK();
    check(taken[0] == 1, "routed back to vCPU 0: a WFI there is woken by it");
    check(taken[1] == 1, "vCPU 1 took nothing more");
    check(stray == 0, "no other interrupt");
    return failures;
}
