// WFI with nothing that can ever wake the vCPU (no timer armed, no other
// vCPU): the run must end with a clear message instead of hanging.
#include "guest.h"

int main(void) {
    print("sleeping forever\n");
    __asm__ volatile("msr daifset, #2\n wfi" ::: "memory");
    print("FAIL woke up\n");
    return 1;
}
