// Stage 1 on for guests that build their own tables: TTBR0_EL1 with a 4 KiB
// granule, 39-bit VAs (T0SZ 25, walks from level 1), inner-shareable
// write-back walks, TTBR1 walks off, 40-bit IPA; MAIR attr0 Normal WB, attr1
// Device-nGnRE. Header-only, so guests that do not include it keep their layout.
#ifndef MMU_H
#define MMU_H
#include "guest.h"

static inline void mmu_enable(uint64_t l1_table) {
    WRITE_SYSREG(mair_el1, 0x04ffull);
    WRITE_SYSREG(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) | (2ul << 32));
    WRITE_SYSREG(ttbr0_el1, l1_table);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | (1 << 2) | (1 << 12));   // M, C, I
    ISB();
}
#endif
