// DC ZVA through a VA that is not its IPA, as the first touch of a 2 MiB
// stage-2 block (Linux clears pages so): Unicorn 2.1 reports the miss by
// IPA, and the model finds its VA from the instruction's address, Xt rounded
// down to the 64-byte block (DCZID_EL0.BS = 4). Unicorn 2.0 cannot run it.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define BLOCK 0x46000000ul        // untouched until the DC ZVA

int main(void) {
    mmu_ram_alias_table((volatile uint64_t *)L1_TABLE);
    mmu_enable(L1_TABLE);
    check((READ_SYSREG(dczid_el0) & 0x1F) == 4, "DCZID_EL0 says 64-byte blocks, DC ZVA allowed");
    volatile uint64_t *alias = (volatile uint64_t *)(BLOCK + RAM_ALIAS + 0x48);   // mid-block: rounded down
    __asm__ volatile("dc zva, %0" :: "r"(alias) : "memory");
    alias[0] = 0x5A5A;
    volatile uint64_t *ident = (volatile uint64_t *)(BLOCK + 0x48);
    uint64_t zeros = 0;
    for (int i = 0; i < 8; i++) zeros |= ((volatile uint64_t *)BLOCK)[i];
    check(zeros == 0 && ident[0] == 0x5A5A, "DC ZVA at VA != IPA, first touch of its stage-2 block");
    return failures;
}
