// PSCI and SMCCC for the guest, whether it calls with HVC or (trapped by
// HCR_EL2.TSC) with SMC. Calls about the whole machine are forwarded to the
// EL3 firmware with an SMC of our own; calls about the guest's vCPU are
// answered here, as KVM answers them.
#include "hyp.h"

#define SMCCC_VERSION 0x80000000u
#define PSCI_VERSION 0x84000000u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000Au
#define NOT_SUPPORTED ((uint64_t)-1)

uint64_t smc_to_firmware(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
    register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return x0;
}

// What this hypervisor offers its guest: PSCI 1.0 with one vCPU. The
// calls about the machine go to the firmware; CPU_ON, CPU_OFF and the rest
// are not supported (one vCPU, nothing else to run).
static int forwarded(uint32_t fn) {
    return fn == PSCI_MIGRATE_INFO_TYPE || fn == PSCI_SYSTEM_OFF || fn == PSCI_SYSTEM_RESET;
}

static int offered(uint32_t fn) {
    return forwarded(fn) || fn == PSCI_VERSION || fn == PSCI_FEATURES || fn == SMCCC_VERSION;
}

void psci_call(struct guest_regs *regs) {
    uint32_t fn = (uint32_t)regs->x[0];
    if (forwarded(fn))
        regs->x[0] = smc_to_firmware(fn, regs->x[1], regs->x[2], regs->x[3]);
    else if (fn == PSCI_VERSION)
        regs->x[0] = 0x10000;              // 1.0, whatever the firmware's: the interface implemented here
    else if (fn == SMCCC_VERSION)
        regs->x[0] = 0x10001;              // 1.1
    else if (fn == PSCI_FEATURES)
        regs->x[0] = offered((uint32_t)regs->x[1]) ? 0 : NOT_SUPPORTED;
    else
        regs->x[0] = NOT_SUPPORTED;
}
