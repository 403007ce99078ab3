// The generic timers' interrupts through the GIC, as kvm-unit-tests' timer
// test checks them, for the virtual timer (PPI 27) and the EL1 physical
// timer (PPI 30):
//   - CVAL 10 ms ahead, polling ISTATUS: met no earlier, and the interrupt taken
//   - with the PPI disabled (GICR_ICENABLER0): not pending before CVAL;
//     pending in the GIC (GICR_ISPENDR0) after it, yet no interrupt; the
//     timer disabled before the PPI is enabled again: no interrupt, no
//     longer pending; IMASK: ISTATUS set but nothing pending in the GIC
//   - delivery also needs the distributor's Group 1 enable (GICD_CTLR), the
//     PPI in Group 1 (GICR_IGROUPR0) and a priority above ICC_PMR_EL1:
//     held pending until each allows it
//   - TVAL 10 ms ahead and WFI: woken by the interrupt, TVAL past 0
// and that a delay loop on CNTVCT waits the virtual time it asks for.
#include "guest.h"
#include "gic.h"

#define SGI_BASE (GICR_BASE + 0x10000ul)
#define CTL_ENABLE 1u
#define CTL_IMASK 2u
#define CTL_ISTATUS 4u

static uint64_t freq, ten_ms;
static volatile uint64_t irqs[32];

static uint64_t count(int phys) { ISB(); return phys ? READ_SYSREG(cntpct_el0) : READ_SYSREG(cntvct_el0); }
static uint64_t ctl(int phys) { return phys ? READ_SYSREG(cntp_ctl_el0) : READ_SYSREG(cntv_ctl_el0); }
static void set_ctl(int phys, uint64_t v) {
    if (phys) WRITE_SYSREG(cntp_ctl_el0, v); else WRITE_SYSREG(cntv_ctl_el0, v);
    ISB();
}
static void set_cval(int phys, uint64_t v) {
    if (phys) WRITE_SYSREG(cntp_cval_el0, v); else WRITE_SYSREG(cntv_cval_el0, v);
    ISB();
}
static void set_tval(int phys, int32_t v) {
    if (phys) WRITE_SYSREG(cntp_tval_el0, (uint64_t)(int64_t)v); else WRITE_SYSREG(cntv_tval_el0, (uint64_t)(int64_t)v);
    ISB();
}
static int32_t tval(int phys) { return (int32_t)(phys ? READ_SYSREG(cntp_tval_el0) : READ_SYSREG(cntv_tval_el0)); }

static void delay_ms(uint64_t ms) {
    uint64_t start = count(0), ticks = ms * freq / 1000;
    while (count(0) - start < ticks) __asm__ volatile("yield");
}

static void enable_ppi(unsigned ppi, int on) { w32(SGI_BASE + (on ? 0x100 : 0x180), 1u << ppi); }
static int gic_pending(unsigned ppi) { return (r32(SGI_BASE + 0x200) >> ppi) & 1; }
static void set_priority(unsigned ppi, uint32_t prio) {
    uint64_t a = SGI_BASE + 0x400 + (ppi & ~3u);
    unsigned shift = 8 * (ppi & 3);
    w32(a, (r32(a) & ~(0xffu << shift)) | prio << shift);
}

// Waits up to a second, as kvm-unit-tests does, for the GIC's pending state to become `want`.
static int gic_pending_becomes(unsigned ppi, int want) {
    for (int i = 0; i < 10; i++) {
        delay_ms(100);
        if (gic_pending(ppi) == want) return 1;
    }
    return 0;
}

// A timer interrupt is silenced with IMASK (ISTATUS stays readable) before its EOI.
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if (kind == 5) {
        uint64_t intid = gic_ack();
        if (intid == VTIMER_PPI || intid == PTIMER_PPI) set_ctl(intid == PTIMER_PPI, CTL_ENABLE | CTL_IMASK);
        if (intid != SPURIOUS) { irqs[intid & 31]++; gic_eoi(intid); }
        return elr;
    }
    last_exception.count++;
    last_exception.esr = esr;
    return elr + 4;
}

// check() with the timer's name in front: "vtimer: ...".
static void report(const char *timer, int ok, const char *what) {
    static char line[160];
    unsigned n = 0;
    for (const char *p = timer; *p && n < sizeof line - 1; p++) line[n++] = *p;
    for (const char *p = what; *p && n < sizeof line - 1; p++) line[n++] = *p;
    line[n] = 0;
    check(ok, line);
}

static void test_cval(const char *name, int phys, unsigned ppi) {
    irqs[ppi] = 0;
    uint64_t before = count(phys);
    set_cval(phys, before + ten_ms);
    set_ctl(phys, CTL_ENABLE);
    while ((ctl(phys) & (CTL_ENABLE | CTL_ISTATUS)) != (CTL_ENABLE | CTL_ISTATUS)) {}
    uint64_t after = count(phys);
    report(name, after >= before + ten_ms && after - (before + ten_ms) < ten_ms, ": CVAL 10 ms ahead: ISTATUS within 10 ms of it, not before");
    report(name, irqs[ppi] == 1, ": CVAL 10 ms ahead: interrupt received");
    set_ctl(phys, 0);
}

static void test_pending(const char *name, int phys, unsigned ppi) {
    enable_ppi(ppi, 0);
    irqs[ppi] = 0;
    uint64_t now = count(phys);
    set_cval(phys, now + 10 * freq);
    set_ctl(phys, CTL_ENABLE);
    report(name, !(ctl(phys) & CTL_ISTATUS) && gic_pending_becomes(ppi, 0), ": not pending before CVAL");
    set_cval(phys, now - 1);
    report(name, (ctl(phys) & CTL_ISTATUS) && gic_pending_becomes(ppi, 1) && irqs[ppi] == 0,
           ": PPI disabled in GICR_ICENABLER0: pending in GICR_ISPENDR0, no interrupt");
    set_ctl(phys, 0);
    enable_ppi(ppi, 1);
    delay_ms(10);
    report(name, irqs[ppi] == 0, ": timer disabled before the PPI is enabled again: no interrupt");
    report(name, !(ctl(phys) & CTL_ISTATUS) && gic_pending_becomes(ppi, 0), ": timer disabled: no longer pending");
    set_cval(phys, now - 1);
    set_ctl(phys, CTL_ENABLE | CTL_IMASK);
    report(name, (ctl(phys) & CTL_ISTATUS) && gic_pending_becomes(ppi, 0) && irqs[ppi] == 0,
           ": IMASK: ISTATUS set, not pending in the GIC");
    set_ctl(phys, 0);
}

// Fires the timer at once (CVAL in the past) with delivery held back by `hold`,
// checks it stays pending, then lets it through with `release`.
static void test_held(const char *name, int phys, unsigned ppi, void (*hold)(unsigned), void (*release)(unsigned), const char *what) {
    irqs[ppi] = 0;
    hold(ppi);
    set_cval(phys, count(phys) - 1);
    set_ctl(phys, CTL_ENABLE);
    delay_ms(10);
    int held = irqs[ppi] == 0 && gic_pending(ppi);
    release(ppi);
    delay_ms(1);
    report(name, held && irqs[ppi] == 1, what);
    set_ctl(phys, 0);
}

static void group1_off(unsigned ppi) { (void)ppi; w32(GICD_BASE, 1u << 4); }
static void group1_on(unsigned ppi) { (void)ppi; gic_init_distributor(); }
static void group0(unsigned ppi) { w32(SGI_BASE + 0x80, ~(1u << ppi)); }
static void group1(unsigned ppi) { (void)ppi; w32(SGI_BASE + 0x80, 0xffffffffu); }
static void low_priority(unsigned ppi) { set_priority(ppi, 0xf0); WRITE_SYSREG(S3_0_C4_C6_0, 0x80); ISB(); }
static void open_priority(unsigned ppi) { WRITE_SYSREG(S3_0_C4_C6_0, 0xff); ISB(); set_priority(ppi, 0x80); }

static void test_tval(const char *name, int phys, unsigned ppi) {
    irqs[ppi] = 0;
    set_tval(phys, (int32_t)ten_ms);
    set_ctl(phys, CTL_ENABLE);
    int32_t left;
    for (;;) {
        IRQ_MASK();
        if (!irqs[ppi]) __asm__ volatile("wfi" ::: "memory");
        IRQ_UNMASK();
        left = tval(phys);
        if (irqs[ppi] || left <= 0) break;
    }
    report(name, irqs[ppi] == 1, ": TVAL 10 ms ahead and WFI: woken by the interrupt");
    report(name, left <= 0, ": TVAL has counted past 0");
    set_ctl(phys, 0);
}

static void test_timer(const char *name, int phys, unsigned ppi) {
    test_cval(name, phys, ppi);
    test_pending(name, phys, ppi);
    test_held(name, phys, ppi, group1_off, group1_on, ": GICD_CTLR.EnableGrp1 clear: held pending, delivered once set");
    test_held(name, phys, ppi, group0, group1, ": PPI in Group 0 (GICR_IGROUPR0): held pending, delivered back in Group 1");
    test_held(name, phys, ppi, low_priority, open_priority, ": priority 0xf0 under ICC_PMR_EL1 0x80: held pending, delivered once PMR is 0xff");
    test_tval(name, phys, ppi);
}

int main(void) {
    freq = READ_SYSREG(cntfrq_el0);
    ten_ms = freq / 100;
    gic_init_distributor();
    gic_init_cpu(0);
    IRQ_UNMASK();
    uint64_t t = count(0);
    delay_ms(100);
    uint64_t waited = count(0) - t;
    check(waited >= freq / 10 && waited < freq / 10 + freq / 20, "a 100 ms delay loop on CNTVCT waits 100 ms (to 150 ms)");
    test_timer("vtimer", 0, VTIMER_PPI);
    test_timer("ptimer", 1, PTIMER_PPI);
    return failures;
}
