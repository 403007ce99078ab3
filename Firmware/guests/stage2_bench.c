// Stage-2 benchmarks; x0[7:0] at entry selects the workload, x0[63:8] scales
// it (N, default 100,000 for the exit loops, 40 passes of the compute loop):
// 0: a compute and memory loop (no MMIO, semihosting only: runs with stage 2 off too);
// 1: N MMIO reads of the test device's in-kernel register;
// 2: N MMIO reads of its user-space register;
// 3: touch N pages (default 8192: 32 MiB) once each (stage-2 faults with demand paging);
// 4: N hypercalls (PSCI_VERSION), to compare exit paths.
#include "guest.h"

static uint64_t buffer[1 << 16];   // 512 KiB

int main(uint64_t x0) {
    uint64_t mode = x0 & 0xff, n = x0 >> 8;
    uint64_t sum = 0;
    if (mode == 0) {
        for (uint64_t pass = 0; pass < (n ? n : 40); pass++)
            for (int i = 0; i < (1 << 16); i++) { buffer[i] += (uint64_t)i ^ pass; sum += buffer[i]; }
    } else if (mode == 1 || mode == 2) {
        volatile uint64_t *reg = (volatile uint64_t *)(0x0A000000ul + (mode == 1 ? 0x00 : 0x08));
        for (uint64_t i = 0; i < (n ? n : 100000); i++) sum += *reg;
    } else if (mode == 3) {
        uint64_t end = 0x42000000ul + (n ? n : 8192) * 4096;
        for (uint64_t a = 0x42000000ul; a < end; a += 4096) sum += *(volatile uint64_t *)a;
    } else if (mode == 4) {
        for (uint64_t i = 0; i < (n ? n : 100000); i++) sum += hvc_call(PSCI_VERSION, 0, 0, 0).x0;
    }
    print("bench done "); print_hex(sum); print("\n");
    return 0;
}
