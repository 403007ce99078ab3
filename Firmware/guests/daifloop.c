// Guest speed with interrupt checking: a loop that masks and unmasks IRQs
// around a little work, as a kernel's spinlocks do (no interrupt ever fires).
#include "guest.h"

int main(void) {
    volatile uint64_t sum = 0;
    for (uint64_t i = 0; i < 2000000; i++) {
        __asm__ volatile("msr daifset, #2" ::: "memory");
        sum += i * 3 + (i >> 2);
        __asm__ volatile("msr daifclr, #2" ::: "memory");
    }
    print("sum "); print_hex(sum); print("\n");
    return 0;
}
