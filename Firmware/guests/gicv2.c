// GICv2 (`--gic-version 2`), two vCPUs: the distributor's identification and
// banked registers, the CPU interface at 0x08010000 (GICC: the GICV frame,
// no exit), SGIs through GICD_SGIR to itself and from the other vCPU, with
// the source CPU in GICC_IAR[12:10] and the value written back to GICC_EOIR.
// Entered at EL2 (`--entry-el 2`) it runs init_el first and the GIC is the
// physical one (its CPU interface at 0x08010000 too), PSCI the firmware's over SMC.
#include "guest.h"
#include "el2.h"

#define GICD 0x08000000ul
#define GICC 0x08010000ul
#define SPURIOUS 1023

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

static volatile uint64_t iars[2][4], taken[2], online1;
static int own_el2;

static uint64_t psci(uint64_t fn, uint64_t a, uint64_t b, uint64_t c) {
    return own_el2 ? smc_call(fn, a, b, c).x0 : hvc_call(fn, a, b, c).x0;
}
extern char secondary_entry[];

static unsigned cpu_index(void) { return (unsigned)(READ_SYSREG(MPIDR_EL1) & 0xff); }

static void gicc_init(void) {
    w32(GICC + 0x04, 0xf0);   // GICC_PMR
    w32(GICC + 0x00, 1);      // GICC_CTLR: enable
}

// GICD_SGIR: filter 0 (the list) or 2 (self), the list, the SGI.
static void sgir(uint32_t filter, uint32_t list, uint32_t intid) {
    __asm__ volatile("dsb ishst" ::: "memory");
    w32(GICD + 0xf00, filter << 24 | list << 16 | intid);
}

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if (kind != 5) return default_exception(kind, esr, elr);
    unsigned cpu = cpu_index() & 1;
    uint32_t iar = r32(GICC + 0x0c);
    if (taken[cpu] < 4) iars[cpu][taken[cpu]] = iar;
    taken[cpu]++;
    if ((iar & 0x3ff) != SPURIOUS) w32(GICC + 0x10, iar);   // GICC_EOIR: the IAR value, source included
    return elr;
}

void secondary_main(uint64_t id) {
    (void)id;
    init_el();
    gicc_init();
    check(r32(GICD + 0x800) == 0x02020202, "GICD_ITARGETSR0 reads vCPU 1's bit on vCPU 1");
    online1 = 1;
    sgir(0, 1, 5);            // SGI 5 to vCPU 0
    psci(PSCI_CPU_OFF, 0, 0, 0);
}

int main(void) {
    own_el2 = READ_SYSREG(CurrentEL) == 8;
    init_el();
    __asm__ volatile("msr daifset, #2" ::: "memory");   // init_el's ERET to EL1 unmasks them
    check((r32(GICD + 0xfe8) >> 4 & 0xf) == 2, "GICD_PIDR2: GICv2");
    check((r32(GICD + 0x4) >> 5 & 7) == 1, "GICD_TYPER: two CPUs");
    check(r32(GICD + 0x800) == 0x01010101, "GICD_ITARGETSR0 reads vCPU 0's bit on vCPU 0");
    w32(GICD + 0x820, 0xffffffff);
    check(r32(GICD + 0x820) == 0x03030303, "GICD_ITARGETSR8: bits of CPUs that do not exist are RAZ");
    w32(GICD + 0x0, 1);       // GICD_CTLR: enable
    gicc_init();
    check(r32(GICC + 0x0c) == SPURIOUS, "GICC_IAR: spurious with nothing pending");
    check(r32(GICC + 0x04) == 0xf0, "GICC_PMR reads back");

    __asm__ volatile("msr daifset, #2" ::: "memory");
    sgir(2, 0, 3);            // SGI 3 to itself
    check((r32(GICC + 0x18) & 0x3ff) == 3, "GICC_HPPIR shows SGI 3 pending");
    __asm__ volatile("msr daifclr, #2\nisb" ::: "memory");
    check(taken[0] == 1 && iars[0][0] == 3, "SGI 3 to itself taken, source 0");

    check(psci(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1) == 0, "CPU_ON vCPU 1");
    while (taken[0] < 2) __asm__ volatile("wfi" ::: "memory");
    check(online1 == 1, "vCPU 1 ran");
    check(iars[0][1] == (5 | 1u << 10), "SGI 5 from vCPU 1: GICC_IAR carries source 1 in [12:10]");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    check(r32(GICC + 0x0c) == SPURIOUS, "nothing left pending");
    check(r32(GICC + 0x14) == 0xff, "GICC_RPR: idle priority after the EOIs");
    return failures;
}
