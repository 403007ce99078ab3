// Stage 1 on for guests that build their own tables: TTBR0_EL1 with a 4 KiB
// granule, 39-bit VAs (T0SZ 25, walks from level 1), inner-shareable
// write-back walks, TTBR1 walks off, 40-bit IPA; MAIR attr0 Normal WB, attr1
// Device-nGnRE. Header-only, so guests that do not include it keep their layout.
#ifndef MMU_H
#define MMU_H
#include "guest.h"

// Stage-1 descriptor fields (Arm ARM D8.3).
#define AF (1ul << 10)
#define SH_INNER (3ul << 8)
#define ATTR(i) ((uint64_t)(i) << 2)
#define XN_BOTH ((1ul << 53) | (1ul << 54))

// The identity tables the stage-1 guests start from, all three cleared:
// L1[0] the devices as one 1 GiB Device-nGnRE block, L1[1] RAM through L2 as
// 2 MiB Normal blocks. The guest then points one L2 entry at L3 its own way.
static inline void mmu_identity_tables(volatile uint64_t *l1, volatile uint64_t *l2, volatile uint64_t *l3) {
    for (int i = 0; i < 512; i++) { l1[i] = 0; l2[i] = 0; l3[i] = 0; }
    l1[0] = 0x0ul | ATTR(1) | AF | XN_BOTH | 1;
    l1[1] = (uint64_t)(uintptr_t)l2 | 3;
    for (uint64_t i = 0; i < 512; i++) l2[i] = (0x40000000ul + (i << 21)) | ATTR(0) | SH_INNER | AF | 1;
}

// One L1 table of 1 GiB blocks: devices and RAM identity, and RAM again at
// VA 2 GiB -> IPA 1 GiB (a VA that is not its IPA, as a kernel's).
#define RAM_ALIAS 0x40000000ul
static inline void mmu_ram_alias_table(volatile uint64_t *l1) {
    for (int i = 0; i < 512; i++) l1[i] = 0;
    l1[0] = 0x0ul | ATTR(1) | AF | XN_BOTH | 1;
    l1[1] = 0x40000000ul | SH_INNER | AF | 1;
    l1[2] = 0x40000000ul | SH_INNER | AF | 1;
}

static inline void mmu_enable(uint64_t l1_table) {
    WRITE_SYSREG(mair_el1, 0x04ffull);
    WRITE_SYSREG(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) | (2ul << 32));
    WRITE_SYSREG(ttbr0_el1, l1_table);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | (1 << 2) | (1 << 12));   // M, C, I
    ISB();
}
#endif
