// The teaching hypervisor's shared definitions: system register access, the
// memory map, the guest's saved registers and what each file provides.
#ifndef HYP_H
#define HYP_H
#include <stddef.h>
#include <stdint.h>

#define read_sysreg(r) ({ uint64_t _v; __asm__ volatile("mrs %0, " #r : "=r"(_v)); _v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

// QEMU virt: devices below 1 GiB, RAM from 1 GiB. The guest owns RAM up to
// HYP_BASE; the hypervisor's own 16 MiB are not in its stage 2.
#define RAM_BASE 0x40000000ul
#define HYP_BASE 0x47000000ul
#define UART_BASE 0x09000000ul        // the PL011: a hole in stage 2, emulated (mmio.c)
#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080A0000ul        // CPU 0's redistributor

// ESR_EL2.EC values this hypervisor handles (Arm ARM D17.2.37).
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYS64 0x18
#define EC_IABT_LOW 0x20
#define EC_DABT_LOW 0x24

// x0-x30 of the guest, as the exit vector saved them (entry.S).
struct guest_regs { uint64_t x[31]; };

// uart.c: the hypervisor's own console, the real PL011.
void puts(const char *s);
void put_hex(uint64_t v, int digits);      // "0x" and exactly `digits` digits
void put_dec(uint64_t v);
__attribute__((noreturn)) void hyp_stop(const char *why);

// mmu.c
void el2_mmu_enable(void);
void stage2_enable(void);

// vgic.c
void gic_init(void);
uint64_t gic_acknowledge(void);
void handle_irq(uint64_t intid);
int vgic_pending(void);
void wait_for_guest_interrupt(void);

// exits.c and psci.c
void handle_exit(uint64_t vector, struct guest_regs *regs);
void psci_call(struct guest_regs *regs);
uint64_t smc_to_firmware(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

// mmio.c
int mmio_device(uint64_t ipa);
void mmio_access(uint64_t ipa, int is_write, int size, uint64_t *value);

// entry.S
__attribute__((noreturn)) void guest_enter(uint64_t x0);

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
#endif
