// A load that crosses from a mapped page into one stage 1 leaves unmapped
// (as a user copy does at the end of a buffer): the abort is a translation
// fault on the second page, not an alignment fault (Linux's user copies then
// return EFAULT instead of fixing up). The model must walk the page of the
// last byte as well as the first.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define L2_TABLE 0x45001000ul
#define L3_TABLE 0x45002000ul
#define REGION 0x46000000ul       // page 0 mapped, page 1 not

int main(void) {
    volatile uint64_t *l1 = (volatile uint64_t *)L1_TABLE, *l2 = (volatile uint64_t *)L2_TABLE, *l3 = (volatile uint64_t *)L3_TABLE;
    mmu_identity_tables(l1, l2, l3);
    l2[(REGION - 0x40000000ul) >> 21] = L3_TABLE | 3;
    l3[0] = REGION | ATTR(0) | SH_INNER | AF | 3;
    mmu_enable(L1_TABLE);
    *(volatile uint32_t *)(REGION + 0xFF8) = 0x1234;
    uint64_t before = last_exception.count;
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(REGION + 0xFFC) : "memory");
    uint64_t esr = last_exception.esr, far = READ_SYSREG(far_el1);
    print("ESR_EL1 "); print_hex(esr); print(" FAR_EL1 "); print_hex(far); print("\n");
    check(last_exception.count == before + 1 && esr >> 26 == 0x25, "the crossing load takes a data abort at EL1");
    check((esr & 0x3F) == 0x07, "a level-3 translation fault, not an alignment fault");
    check(far >> 12 == (REGION >> 12) + 1, "FAR_EL1 is in the unmapped page");
    return failures;
}
