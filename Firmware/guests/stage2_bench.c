// Stage-2 benchmarks; x0 at entry selects the workload:
// 0: a compute and memory loop (no MMIO, semihosting only: runs with stage 2 off too);
// 1: 100,000 MMIO reads of the test device's in-kernel register;
// 2: 100,000 MMIO reads of its user-space register;
// 3: touch every page of 32 MiB once (stage-2 faults with demand paging);
// 4: 100,000 hypercalls (PSCI_VERSION), to compare exit paths.
#include "guest.h"

static uint64_t buffer[1 << 16];   // 512 KiB

int main(uint64_t mode) {
    uint64_t sum = 0;
    if (mode == 0) {
        for (int pass = 0; pass < 40; pass++)
            for (int i = 0; i < (1 << 16); i++) { buffer[i] += (uint64_t)i ^ (uint64_t)pass; sum += buffer[i]; }
    } else if (mode == 1 || mode == 2) {
        volatile uint64_t *reg = (volatile uint64_t *)(0x0A000000ul + (mode == 1 ? 0x00 : 0x08));
        for (int i = 0; i < 100000; i++) sum += *reg;
    } else if (mode == 3) {
        for (uint64_t a = 0x42000000ul; a < 0x44000000ul; a += 4096) sum += *(volatile uint64_t *)a;
    } else if (mode == 4) {
        for (int i = 0; i < 100000; i++) sum += hvc_call(PSCI_VERSION, 0, 0, 0).x0;
    }
    print("bench done "); print_hex(sum); print("\n");
    return 0;
}
