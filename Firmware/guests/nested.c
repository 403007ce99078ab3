// The nested guest: what Firmware/linux/vmm.c runs under Linux's KVM (which
// itself runs at el2emu's guest-owned EL2). It needs only a PL011 data
// register and PSCI over HVC, so it runs the same directly under el2emu
// (`el2emu run --guest nested`), under QEMU, and under any KVM VMM that
// emulates the PL011 at 0x0900_0000. No semihosting (KVM has none), no GIC.
#include "guest.h"

int main(void) {
    uart_puts("hello from the nested guest\n");
    struct hvc_result r = hvc_call(PSCI_VERSION, 0, 0, 0);
    uart_puts(r.x0 >> 16 == 1 ? "nested guest: PSCI 1.x over HVC, powering off\n" : "nested guest: no PSCI 1.x\n");
    hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    return 1; // SYSTEM_OFF does not return
}
