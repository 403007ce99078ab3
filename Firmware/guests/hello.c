// The default guest: boots at EL1, prints through semihosting and the PL011,
// asks PSCI for its version with an HVC, and exits.
#include "guest.h"

int main(void) {
    print("Hello from an EL1 guest under el2emu\n");
    uart_puts("PL011: hello\n");
    uint64_t el = READ_SYSREG(CurrentEL) >> 2;
    print("CurrentEL = EL"); print_dec(el); print("\n");
    struct hvc_result r = hvc_call(PSCI_VERSION, 0, 0, 0);
    print("PSCI version "); print_dec(r.x0 >> 16); print("."); print_dec(r.x0 & 0xffff); print("\n");
    check(el == 1, "runs at EL1");
    check(r.x0 == 0x10000, "PSCI 1.0 over HVC");
    return failures;
}
