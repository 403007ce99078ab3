// GICv3 for guests: distributor/redistributor set-up and the ICC_* CPU
// interface (QEMU virt layout), the virtual timer, and waiting for interrupts.
#ifndef GIC_H
#define GIC_H
#include <stdint.h>

#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080A0000ul
#define GICR_STRIDE 0x20000ul
#define VTIMER_PPI 27
#define PTIMER_PPI 30
#define SPURIOUS 1023

void gic_init_distributor(void);
// Wakes this CPU's redistributor, enables SGIs 0-15 and the timer PPIs
// (27 virtual, 30 EL1 physical) at priority 0x80, and turns on the CPU interface (PMR 0xff, group 1).
void gic_init_cpu(unsigned cpu);
uint64_t gic_ack(void);            // ICC_IAR1_EL1
void gic_eoi(uint64_t intid);      // ICC_EOIR1_EL1
void gic_send_sgi(unsigned target_cpu, unsigned intid);  // ICC_SGI1R_EL1

void vtimer_arm(uint32_t ticks);   // CNTV_TVAL_EL0 = ticks, CNTV_CTL_EL0 = ENABLE
void vtimer_stop(void);            // CNTV_CTL_EL0 = 0

// Sleeps in WFI until *flag != old, with no lost wake-up: IRQs stay masked
// around the test and WFI, and are opened between.
void wait_for_change(volatile uint64_t *flag, uint64_t old);

#define IRQ_MASK() __asm__ volatile("msr daifset, #2" ::: "memory")
#define IRQ_UNMASK() __asm__ volatile("msr daifclr, #2" ::: "memory")
#endif
