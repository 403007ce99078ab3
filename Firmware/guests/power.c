// Ends the run with PSCI: x0 at boot (the test's choice) selects how.
// 0: SYSTEM_OFF over HVC; 1: SYSTEM_RESET over HVC; 2: SYSTEM_OFF over SMC
// (needs HCR_EL2.TSC); 3: a kvm-unit-tests "EXIT: STATUS=5" line, then SYSTEM_OFF.
#include "guest.h"

int main(uint64_t how) {
    print("power: variant "); print_dec(how); print("\n");
    switch (how) {
    case 0: hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    case 1: hvc_call(PSCI_SYSTEM_RESET, 0, 0, 0); break;
    case 2: smc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    case 3: print("EXIT: STATUS=5\n"); hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    }
    print("power: still running\n");
    return 99;
}
