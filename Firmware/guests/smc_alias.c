// Code rewritten through another VA, as Linux patches its text through a
// fixmap alias: a function at an identity VA is written through RAM's
// execute-never alias at VA 2 GiB, run, rewritten there and run again.
// Unicorn 2.1 checks stores for translated code only while a page's TLB
// entry is "not dirty"; the alias's entry is clean after its first store,
// so el2emu keeps memory that holds translated code on that check and
// empties QEMU's TLB when it first does.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define CODE 0x44800000ul   // its own 64 KiB, away from the guest's code

static void write_code(uint32_t imm) {
    volatile uint32_t *alias = (volatile uint32_t *)(CODE + RAM_ALIAS);
    alias[0] = 0x52800000u | (imm << 5);   // mov w0, #imm
    alias[1] = 0xd65f03c0u;                // ret
    __asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %1; dsb ish; isb"
                     :: "r"(CODE + RAM_ALIAS), "r"(CODE) : "memory");
}

int main(void) {
    volatile uint64_t *l1 = (volatile uint64_t *)L1_TABLE;
    mmu_ram_alias_table(l1);
    l1[2] |= XN_BOTH;   // the alias only writes, as a fixmap does
    mmu_enable(L1_TABLE);
    uint32_t (*f)(void) = (uint32_t (*)(void))CODE;
    write_code(1);
    uint32_t first = f();
    write_code(2);
    uint32_t second = f();
    check(first == 1, "code written through an alias runs");
    check(second == 2, "code rewritten through the alias runs as rewritten");
    return failures;
}
