// Two address spaces with different ASIDs map VA 2 GiB to different IPAs
// (non-global entries), as two processes do; the guest switches TTBR0_EL1
// between them with no TLBI, as Linux's context switch does. Caches stay
// off, so KVM keeps TVM on and each TTBR0 write traps: the hypervisor's
// write of the register must not leave Unicorn translating with the other
// space's entries (every fork and pipe of Linux's userspace segfaulted so).
// Unicorn 2.0 cannot run it (VA != IPA).
#include "guest.h"
#include "mmu.h"

#define L1_A 0x45000000ul
#define L1_B 0x45001000ul
#define L2_A 0x45002000ul
#define L2_B 0x45003000ul
#define VA 0x80000000ul

static void space(volatile uint64_t *l1, volatile uint64_t *l2, uint64_t ipa) {
    for (int i = 0; i < 512; i++) { l1[i] = 0; l2[i] = 0; }
    l1[0] = 0x0ul | ATTR(1) | AF | XN_BOTH | 1;
    l1[1] = 0x40000000ul | SH_INNER | AF | 1;
    l1[2] = (uint64_t)(uintptr_t)l2 | 3;
    l2[0] = ipa | SH_INNER | AF | (1ul << 11) | 1;   // nG: tagged with the ASID
}

static uint64_t read_in(uint64_t l1, uint64_t asid) {
    WRITE_SYSREG(ttbr0_el1, l1 | asid << 48);
    ISB();
    return *(volatile uint64_t *)(VA + 0x100);
}

int main(void) {
    space((volatile uint64_t *)L1_A, (volatile uint64_t *)L2_A, 0x46000000ul);
    space((volatile uint64_t *)L1_B, (volatile uint64_t *)L2_B, 0x46200000ul);
    *(volatile uint64_t *)0x46000100ul = 0xAAAA;
    *(volatile uint64_t *)0x46200100ul = 0xBBBB;
    // mmu_enable's steps but with the data cache off: KVM keeps TVM on.
    WRITE_SYSREG(mair_el1, 0x04ffull);
    WRITE_SYSREG(tcr_el1, 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (1ul << 23) | (2ul << 32));
    WRITE_SYSREG(ttbr0_el1, L1_A);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, (READ_SYSREG(sctlr_el1) | 1 | (1 << 12)) & ~(1ul << 2));   // M, I; not C
    ISB();
    uint64_t a = read_in(L1_A, 1), b = read_in(L1_B, 2), a2 = read_in(L1_A, 1);
    print_hex(a); print(" "); print_hex(b); print(" "); print_hex(a2); print("\n");
    check(a == 0xAAAA && b == 0xBBBB && a2 == 0xAAAA, "a TTBR0_EL1 write with a new ASID switches address space");
    return failures;
}
