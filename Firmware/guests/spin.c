// A guest that never stops: it must be ended by --max-insns or --max-cycles.
#include "guest.h"

int main(void) {
    print("spinning forever\n");
    for (;;) __asm__ volatile("" ::: "memory");
}
