#include "gic.h"
#include "guest.h"

static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }

void gic_init_distributor(void) {
    w32(GICD_BASE + 0x0, (1u << 4) | (1u << 1));   // ARE_NS, EnableGrp1NS
}

void gic_init_cpu(unsigned cpu) {
    uint64_t rd = GICR_BASE + cpu * GICR_STRIDE, sgi = rd + 0x10000;
    w32(rd + 0x14, r32(rd + 0x14) & ~2u);           // WAKER.ProcessorSleep = 0
    while (r32(rd + 0x14) & 4u) {}                  // ChildrenAsleep
    w32(sgi + 0x80, 0xffffffffu);                   // group 1
    for (int i = 0; i < 32; i += 4) w32(sgi + 0x400 + i, 0x80808080u);
    w32(sgi + 0x100, 0xffffu | (1u << VTIMER_PPI) | (1u << PTIMER_PPI)); // ISENABLER0
    ISB();
    WRITE_SYSREG(S3_0_C12_C12_5, 7);                // ICC_SRE_EL1
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);               // ICC_PMR_EL1
    WRITE_SYSREG(S3_0_C12_C12_3, 0);                // ICC_BPR1_EL1
    WRITE_SYSREG(S3_0_C12_C12_7, 1);                // ICC_IGRPEN1_EL1
    ISB();
}

uint64_t gic_ack(void) { uint64_t v = READ_SYSREG(S3_0_C12_C12_0); __asm__ volatile("dsb sy" ::: "memory"); return v; }
void gic_eoi(uint64_t intid) { WRITE_SYSREG(S3_0_C12_C12_1, intid); ISB(); }

void gic_send_sgi(unsigned target_cpu, unsigned intid) {
    uint64_t v = ((uint64_t)(intid & 15) << 24) | (1ull << (target_cpu & 15));
    __asm__ volatile("dsb ishst" ::: "memory");
    WRITE_SYSREG(S3_0_C12_C11_5, v);
    ISB();
}

void vtimer_arm(uint32_t ticks) {
    WRITE_SYSREG(CNTV_TVAL_EL0, ticks);
    WRITE_SYSREG(CNTV_CTL_EL0, 1);
    ISB();
}

void vtimer_stop(void) { WRITE_SYSREG(CNTV_CTL_EL0, 0); ISB(); }

void wait_for_change(volatile uint64_t *flag, uint64_t old) {
    IRQ_MASK();
    while (*flag == old) {
        __asm__ volatile("wfi" ::: "memory");
        IRQ_UNMASK();
        ISB();
        IRQ_MASK();
    }
    IRQ_UNMASK();
}
