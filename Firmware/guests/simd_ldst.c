// SIMD structure loads and stores (LD1 of four registers, ST1, LD1R, a
// post-indexed LD1), as libc's memcpy/memset use them, through a VA that is
// not its IPA and as the first touch of their stage-2 blocks: the model must
// decode them to find the VA of the IPA Unicorn 2.1 reports, the ST1 also
// across a 2 MiB boundary (its last bytes' block). Unicorn 2.0 cannot run it.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul

int main(void) {
    mmu_ram_alias_table((volatile uint64_t *)L1_TABLE);
    mmu_enable(L1_TABLE);
    WRITE_SYSREG(cpacr_el1, 3ul << 20);   // FPEN: no SIMD trap at EL1
    ISB();

    // ST1 {v0-v3}: 64 bytes from 0x463FFFE0 into the next block.
    uint8_t pattern[64];
    for (int i = 0; i < 64; i++) pattern[i] = (uint8_t)(i * 7 + 1);
    uint64_t at = 0x463FFFE0ul + RAM_ALIAS;
    __asm__ volatile(".arch_extension simd\n"
                     "ld1 {v0.16b, v1.16b, v2.16b, v3.16b}, [%0]\n"
                     "st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [%1]"
                     :: "r"(pattern), "r"(at) : "v0", "v1", "v2", "v3", "memory");
    int same = 1;
    for (int i = 0; i < 64; i++) same &= ((volatile uint8_t *)0x463FFFE0ul)[i] == pattern[i];
    check(same, "ST1 of four registers across a block boundary at VA != IPA");

    // LD1 {v4-v7} of untouched memory: zeros.
    uint64_t lanes[8];
    __asm__ volatile(".arch_extension simd\n"
                     "ld1 {v4.2d, v5.2d, v6.2d, v7.2d}, [%1]\n"
                     "st1 {v4.2d, v5.2d, v6.2d, v7.2d}, [%0]"
                     :: "r"(lanes), "r"(0x46800000ul + RAM_ALIAS) : "v4", "v5", "v6", "v7", "memory");
    uint64_t any = 0;
    for (int i = 0; i < 8; i++) any |= lanes[i];
    check(any == 0, "LD1 of four registers at VA != IPA");

    // LD1R and a post-indexed LD1, each the first touch of its block.
    uint64_t r[2], base = 0x46C00010ul + RAM_ALIAS, start = 0x46E00000ul + RAM_ALIAS, post = start;
    __asm__ volatile(".arch_extension simd\n"
                     "ld1r {v8.4s}, [%[base]]\n"
                     "st1 {v8.2d}, [%[r]]\n"
                     "ld1 {v9.16b}, [%[post]], #16"
                     : [post] "+r"(post) : [r] "r"(r), [base] "r"(base) : "v8", "v9", "memory");
    check(r[0] == 0 && r[1] == 0, "LD1R at VA != IPA");
    check(post == start + 16, "post-indexed LD1 at VA != IPA");
    return failures;
}
