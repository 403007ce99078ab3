// KVM's TVM toggle: writes of CONTEXTIDR_EL1 trap (HCR_EL2.TVM) while the
// MMU and caches are off, stop trapping once SCTLR_EL1.M and C are both on
// (kvm_toggle_cache), and trap again after a set/way cache operation
// (kvm_set_way_flush). The guest writes CONTEXTIDR_EL1 with values that
// name the phase; the test counts which of them exited.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define L2_TABLE 0x45001000ul
#define L3_TABLE 0x45002000ul

int main(void) {
    for (uint64_t i = 0; i < 3; i++) WRITE_SYSREG(contextidr_el1, 0x100 + i);   // trapped
    mmu_identity_tables((volatile uint64_t *)L1_TABLE, (volatile uint64_t *)L2_TABLE, (volatile uint64_t *)L3_TABLE);
    mmu_enable(L1_TABLE);
    for (uint64_t i = 0; i < 3; i++) WRITE_SYSREG(contextidr_el1, 0x200 + i);   // not trapped
    __asm__ volatile("dc cisw, %0" :: "r"(0ul) : "memory");                       // set/way: trapped, TVM on again
    WRITE_SYSREG(contextidr_el1, 0x300);                                           // trapped
    check(READ_SYSREG(contextidr_el1) == 0x300, "CONTEXTIDR_EL1 holds the last value written");
    return failures;
}
