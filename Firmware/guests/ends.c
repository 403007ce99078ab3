// The ways a run ends, chosen by x0 at boot (the test's choice; a device
// tree address means 0):
// 0: PSCI SYSTEM_OFF over HVC; 1: SYSTEM_RESET over HVC; 2: SYSTEM_OFF over
// SMC (needs HCR_EL2.TSC); 3: a kvm-unit-tests "EXIT: STATUS=5" line, then
// SYSTEM_OFF; 4: WFI with nothing that can ever wake the vCPU.
#include "guest.h"

int main(uint64_t how) {
    if (how >= 16) how = 0;   // booted by the CLI: x0 is the device tree's address
    print("ends: variant "); print_dec(how); print("\n");
    switch (how) {
    case 0: hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    case 1: hvc_call(PSCI_SYSTEM_RESET, 0, 0, 0); break;
    case 2: smc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    case 3: print("EXIT: STATUS=5\n"); hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0); break;
    case 4: __asm__ volatile("wfi" ::: "memory"); break;
    }
    print("ends: still running\n");
    return 99;
}
