// Exactly one exit: a PSCI_VERSION hypercall, then a semihosting exit.
// The statistics, report and trace-format tests count on that one exit.
#include "guest.h"

int main(void) {
    struct hvc_result r = hvc_call(PSCI_VERSION, 0, 0, 0);
    print(r.x0 == 0x10000 ? "PSCI 1.0\n" : "unexpected PSCI version\n");
    return r.x0 != 0x10000;
}
