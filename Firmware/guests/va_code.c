// Code running at a VA that is not its IPA, as a kernel's does (Linux runs at
// 0xffff8000...): from RAM's alias at VA 2 GiB it stores to the UART through
// the devices' alias at VA 3 GiB (a stage-2 abort whose instruction the model
// decodes at the PC) and makes an HVC (whose immediate it reads at PC-4).
// Unicorn 2.1 keys its map by IPA, so the model must translate the PC before
// reading the instruction there (Linux's earlycon stopped at its first
// PL011 access through the fixmap). Unicorn 2.0 cannot run it at all.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define DEVICE_ALIAS 0xC0000000ul  // VA 3 GiB -> IPA 0 (devices)

static uint64_t __attribute__((noinline)) from_alias(volatile uint32_t *uart, uint64_t function) {
    uart[0] = 'o';
    uart[0] = 'k';
    uart[0] = '\n';
    register uint64_t x0 __asm__("x0") = function;
    __asm__ volatile("hvc #0" : "+r"(x0) :: "x1", "x2", "x3", "memory");
    return x0;
}

int main(void) {
    volatile uint64_t *l1 = (volatile uint64_t *)L1_TABLE;
    mmu_ram_alias_table(l1);
    l1[3] = 0x0ul | ATTR(1) | AF | XN_BOTH | 1;           // devices at VA 3 GiB
    mmu_enable(L1_TABLE);
    uint64_t (*f)(volatile uint32_t *, uint64_t) = (void *)((uintptr_t)from_alias + RAM_ALIAS);
    uint64_t version = f((volatile uint32_t *)(DEVICE_ALIAS + 0x09000000ul), PSCI_VERSION);
    check(version == 0x10000, "code at VA != IPA makes an HVC and an MMIO store");
    return failures;
}
