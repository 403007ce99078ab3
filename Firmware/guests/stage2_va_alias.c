// A stage-1 mapping whose VA is not its IPA: VA 0x8000_0000 (1 GiB block)
// -> IPA 0x4000_0000. Unicorn 2.0.1 cannot run it (it checks mappings by VA);
// el2emu must stop with a message naming the VA. Unicorn 2.1 runs it: the
// guest reads through the alias the marker it wrote through the identity map.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul

int main(void) {
    *(volatile uint64_t *)0x40001000ul = 0xA11A5ul;
    volatile uint64_t *l1 = (volatile uint64_t *)L1_TABLE;
    for (int i = 0; i < 512; i++) l1[i] = 0;
    l1[0] = 0x0ul | (1ul << 2) | (1ul << 10) | (3ul << 53) | 1;     // devices, identity
    l1[1] = 0x40000000ul | (3ul << 8) | (1ul << 10) | 1;              // RAM, identity
    l1[2] = 0x40000000ul | (3ul << 8) | (1ul << 10) | 1;              // alias: VA 2 GiB -> IPA 1 GiB
    mmu_enable(L1_TABLE);
    print("MMU on\n");
    uint64_t v = *(volatile uint64_t *)0x80001000ul;
    print_hex(v);
    print("\n");
    check(v == 0xA11A5ul, "VA 0x80001000 reads IPA 0x40001000 through both stages");
    return failures;
}
