// GICv3 for guests: distributor/redistributor set-up and the ICC_* CPU
// interface (QEMU virt layout), the virtual timer, and waiting for interrupts.
// Header-only, so guests that do not include it keep their layout.
#ifndef GIC_H
#define GIC_H
#include <stdint.h>
#include "guest.h"

#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080A0000ul
#define GICR_STRIDE 0x20000ul
#define VTIMER_PPI 27
#define PTIMER_PPI 30
#define SPURIOUS 1023

#define IRQ_MASK() __asm__ volatile("msr daifset, #2" ::: "memory")
#define IRQ_UNMASK() __asm__ volatile("msr daifclr, #2" ::: "memory")

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

static inline void gic_init_distributor(void) {
    w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1));   // ARE_NS, EnableGrp1NS
}

// Wakes this CPU's redistributor, enables SGIs 0-15 and the timer PPIs
// (27 virtual, 30 EL1 physical) at priority 0x80, and turns on the CPU
// interface (SRE, PMR 0xff, group 1).
static inline void gic_init_cpu(unsigned cpu) {
    uint64_t rd = GICR_BASE + cpu * GICR_STRIDE, sgi = rd + 0x10000;
    w32(rd + 0x14, r32(rd + 0x14) & ~2u);           // WAKER.ProcessorSleep = 0
    while (r32(rd + 0x14) & 4u) {}                  // ChildrenAsleep
    w32(sgi + 0x80, 0xffffffffu);                   // group 1
    for (int i = 0; i < 32; i += 4) w32(sgi + 0x400 + i, 0x80808080u);
    w32(sgi + 0x100, 0xffffu | (1u << VTIMER_PPI) | (1u << PTIMER_PPI)); // ISENABLER0
    WRITE_SYSREG(S3_0_C12_C12_5, 7);                // ICC_SRE_EL1
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);               // ICC_PMR_EL1
    WRITE_SYSREG(S3_0_C12_C12_3, 0);                // ICC_BPR1_EL1
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                // ICC_IGRPEN1_EL1
    ISB();
}

static inline uint64_t gic_ack(void) { uint64_t v = READ_SYSREG(S3_0_C12_C12_0); __asm__ volatile("dsb sy" ::: "memory"); return v; }
static inline void gic_eoi(uint64_t intid) { WRITE_SYSREG(S3_0_C12_C12_1, intid); ISB(); }

// An IRQ taken: acknowledge it, give its INTID to `took` (spurious ones too,
// for guests that count them) and end it unless it was spurious.
static inline void gic_handle_irq(void (*took)(uint64_t intid, uint64_t elr), uint64_t elr) {
    uint64_t intid = gic_ack();
    took(intid, elr);
    if (intid != SPURIOUS) gic_eoi(intid);
}

// The exception handler of a guest whose IRQs go to `took` (gic_handle_irq)
// and whose other exceptions go to default_exception.
#define GIC_GUEST_EXCEPTION_HANDLER(took)                                                     \
    uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) { \
        (void)frame;                                                                         \
        if (kind != 5) return default_exception(kind, esr, elr);                             \
        gic_handle_irq(took, elr);                                                           \
        return elr;                                                                          \
    }

static inline void gic_send_sgi(unsigned target_cpu, unsigned intid) {
    uint64_t v = ((uint64_t)(intid & 15) << 24) | (1ull << (target_cpu & 15));
    __asm__ volatile("dsb ishst" ::: "memory");
    WRITE_SYSREG(S3_0_C12_C11_5, v);
    ISB();
}

static inline void vtimer_arm(uint32_t ticks) {
    WRITE_SYSREG(CNTV_TVAL_EL0, ticks);
    WRITE_SYSREG(CNTV_CTL_EL0, 1);
    ISB();
}

static inline void vtimer_stop(void) { WRITE_SYSREG(CNTV_CTL_EL0, 0); ISB(); }

// Sleeps in WFI until *flag != old, with no lost wake-up: IRQs stay masked
// around the test and WFI, and are opened between.
static inline void wait_for_change(volatile uint64_t *flag, uint64_t old) {
    IRQ_MASK();
    while (*flag == old) {
        __asm__ volatile("wfi" ::: "memory");
        IRQ_UNMASK();
        ISB();
        IRQ_MASK();
    }
    IRQ_UNMASK();
}

#endif
