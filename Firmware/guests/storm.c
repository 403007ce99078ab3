// Hostile: garbage stage-1 tables on every vCPU. Each vCPU fills its table
// page with pseudo-random descriptors, points TTBR0_EL1 at it and turns
// stage 1 on: its next fetch, and every vector fetch after it, faults, with
// virtual time frozen. el2emu must stop that storm with a message naming it,
// however many vCPUs take it (x0 selects the random seed's variant).
#include "guest.h"
#include "mmu.h"

static uint64_t garbage[8][512] __attribute__((aligned(4096)));
static uint64_t seed;
extern char secondary_entry[];

static void storm(uint64_t id) {
    uint64_t x = 0x9E3779B97F4A7C15ul * (id + 1) ^ seed;
    for (int i = 0; i < 512; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        garbage[id][i] = x;
    }
    mmu_enable((uint64_t)garbage[id]);
    print("FAIL still running with garbage tables\n");
}

void secondary_main(uint64_t id) { storm(id & 7); }

int main(uint64_t x0) {
    seed = x0;
    print("storm\n");
    for (uint64_t i = 1; i < 8; i++) hvc_call(0xC4000003, i, (uint64_t)secondary_entry, i);
    storm(0);
    return 1;
}
