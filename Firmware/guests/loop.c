// A guest that only computes: x1 iterations of a small loop, no exits.
// The benchmark runs it to compare el2emu's guest speed with bare Unicorn.
#include "guest.h"

int main(uint64_t unused, uint64_t count) {
    (void)unused;
    uint64_t n = count ? count : 1000000, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        acc = acc * 6364136223846793005ull + i;
        __asm__ volatile("" : "+r"(acc));
    }
    return acc == 42;   // never true; keeps the loop alive
}
