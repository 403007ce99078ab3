// Two sets of translation tables, both with a 4 KiB granule and 32-bit
// (4 GiB) input addresses, so walks start at level 1:
// - EL2's own stage 1 (TTBR0_EL2, TCR_EL2): identity, devices below 1 GiB,
//   RAM as Normal memory. The non-VHE EL2 regime has one range, no ASIDs.
// - The guest's stage 2 (VTTBR_EL2, VTCR_EL2): IPA = PA for the guest's RAM
//   and the devices, except the PL011's page: a hole, so the guest's UART
//   accesses are stage-2 data aborts that mmio.c emulates (KVM's MMIO exits).
#include "hyp.h"

#define VALID (1ul << 0)
#define TABLE (3ul << 0)                   // a table (levels 1-2) or page (level 3) descriptor
#define BLOCK (1ul << 0)
#define AF (1ul << 10)
#define SH_INNER (3ul << 8)

// Stage 1 at EL2: MAIR_EL2 attribute indices; AP[1] is RES1 in this regime.
#define S1_NORMAL (0ul << 2)
#define S1_DEVICE (1ul << 2)
#define S1_AP_RW (1ul << 6)
#define S1_XN (1ul << 54)
#define MAIR_EL2_VALUE 0x04ff               // attr0 Normal write-back, attr1 Device-nGnRE

// Stage 2: the memory type sits in the descriptor (MemAttr), no MAIR.
#define S2_NORMAL (0xful << 2)              // Normal, inner and outer write-back
#define S2_DEVICE (0x1ul << 2)              // Device-nGnRE
#define S2_AP_RW (3ul << 6)
#define S2_XN (1ul << 54)

#define GIB (1ul << 30)
#define MIB2 (1ul << 21)

static uint64_t el2_l1[512] __attribute__((aligned(4096)));
static uint64_t s2_l1[512] __attribute__((aligned(4096)));
static uint64_t s2_l2_devices[512] __attribute__((aligned(4096)));
static uint64_t s2_l3_uart[512] __attribute__((aligned(4096)));
static uint64_t s2_l2_ram[512] __attribute__((aligned(4096)));

void el2_mmu_enable(void) {
    el2_l1[0] = 0 | S1_DEVICE | S1_AP_RW | AF | S1_XN | BLOCK;
    el2_l1[1] = RAM_BASE | S1_NORMAL | S1_AP_RW | SH_INNER | AF | BLOCK;

    write_sysreg(mair_el2, MAIR_EL2_VALUE);
    // TCR_EL2: RES1 bits 31 and 23; PS = 40 bits; TG0 4K; inner-shareable
    // write-back walks; T0SZ = 32.
    write_sysreg(tcr_el2, (1ul << 31) | (1ul << 23) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | 32);
    write_sysreg(ttbr0_el2, (uint64_t)el2_l1);
    dsb(ish);
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
    // SCTLR_EL2: its RES1 bits with the MMU (M), data (C) and instruction
    // (I) caches on.
    write_sysreg(sctlr_el2, 0x30C50830ul | (1ul << 0) | (1ul << 2) | (1ul << 12));
    isb();
}

void stage2_enable(void) {
    // 0-1 GiB: the devices, in 2 MiB blocks, except the 2 MiB around the
    // PL011, which a level-3 table maps page by page with the UART's missing.
    for (uint64_t i = 0; i < 512; i++)
        s2_l2_devices[i] = (i * MIB2) | S2_DEVICE | S2_AP_RW | AF | S2_XN | BLOCK;
    uint64_t uart_block = UART_BASE & ~(MIB2 - 1);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t pa = uart_block + (i << 12);
        s2_l3_uart[i] = pa == UART_BASE ? 0 : pa | S2_DEVICE | S2_AP_RW | AF | S2_XN | TABLE;
    }
    s2_l2_devices[uart_block / MIB2] = (uint64_t)s2_l3_uart | TABLE;
    s2_l1[0] = (uint64_t)s2_l2_devices | TABLE;

    // 1 GiB up: the guest's RAM up to the hypervisor, in 2 MiB blocks.
    for (uint64_t pa = RAM_BASE; pa < HYP_BASE; pa += MIB2)
        s2_l2_ram[(pa - RAM_BASE) / MIB2] = pa | S2_NORMAL | S2_AP_RW | SH_INNER | AF | BLOCK;
    s2_l1[1] = (uint64_t)s2_l2_ram | TABLE;

    // VTCR_EL2: RES1 bit 31; PS = 40 bits; TG0 4K; inner-shareable
    // write-back walks; SL0 = 1 (start at level 1); T0SZ = 32.
    write_sysreg(vtcr_el2, (1ul << 31) | (2ul << 16) | (3ul << 12) | (1ul << 10) | (1ul << 8) | (1ul << 6) | 32);
    write_sysreg(vttbr_el2, (1ul << 48) | (uint64_t)s2_l1);      // VMID 1
    dsb(ishst);
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
}
