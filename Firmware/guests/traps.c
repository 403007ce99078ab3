// Every guest event that HCR_EL2 can route to EL2, each at a labelled site
// (printed as "@name 0x...") so tests can match ELR_EL2. Each check holds
// whether the bit traps or not: a trapped access is emulated by the
// hypervisor with the effect the hardware has when it does not trap.
#include "guest.h"

// Places a global label on the next instruction.
#define AT(label) ".global " #label "\n" #label ":\n\t"

extern char tvm_sctlr[], tvm_ttbr0[], tvm_contextidr[], trvm_ttbr0[], tid3_pfr0[];
extern char tacr_read[], tacr_write[], tsw_dc_isw[], ttlb_vmalle1[], ttlb_vae1[];
extern char twe_wfe[], twi_wfi[], tsc_smc[], tsc_smc_imm[], hvc_imm[], undef_impdef[], undef_el2[], undef_tlbi_el2[];

static void site(const char *name, const void *address) {
    print("@"); print(name); print(" "); print_hex((uint64_t)address); print("\n");
}

static void show(const char *name, uint64_t v) {
    print(name); print(" = "); print_hex(v); print("\n");
}

static uint64_t exceptions(void) { return last_exception.count; }
static uint64_t sctlr_written;

// TVM traps these writes, TRVM the reads: either way the value must land in
// the guest's own EL1 register and read back.
static void virtual_memory_controls(void) {
    uint64_t sctlr = READ_SYSREG(sctlr_el1);
    // SA (bit 3), SP alignment checking: harmless with the 16-byte aligned stack.
    sctlr_written = sctlr | (1u << 3);
    register uint64_t x9 __asm__("x9") = sctlr_written;
    __asm__ volatile(AT(tvm_sctlr) "msr sctlr_el1, x9\n\tisb" :: "r"(x9) : "memory");
    show("SCTLR_EL1", READ_SYSREG(sctlr_el1));
    check(READ_SYSREG(sctlr_el1) == (sctlr | (1u << 3)), "SCTLR_EL1 write took effect");

    register uint64_t x10 __asm__("x10") = 0x40123000;   // MMU off: only stored
    __asm__ volatile(AT(tvm_ttbr0) "msr ttbr0_el1, x10\n\tisb" :: "r"(x10) : "memory");
    register uint64_t x20 __asm__("x20") = 0x5a;
    __asm__ volatile(AT(tvm_contextidr) "msr contextidr_el1, x20" ::"r"(x20) : "memory");
    check(READ_SYSREG(contextidr_el1) == 0x5a, "CONTEXTIDR_EL1 write took effect");

    register uint64_t x11 __asm__("x11");
    __asm__ volatile(AT(trvm_ttbr0) "mrs x11, ttbr0_el1" : "=r"(x11) :: "memory");
    show("TTBR0_EL1", x11);
    check(x11 == 0x40123000, "TTBR0_EL1 reads back what was written");
}

// TID3: the ID registers. The value differs (emulated or the CPU's), but the
// guest always sees AArch64 at EL0 and EL1.
static void id_registers(void) {
    register uint64_t x3 __asm__("x3");
    __asm__ volatile(AT(tid3_pfr0) "mrs x3, id_aa64pfr0_el1" : "=r"(x3));
    show("ID_AA64PFR0_EL1", x3);
    check((x3 & 0xf) != 0 && ((x3 >> 4) & 0xf) != 0, "ID_AA64PFR0_EL1 reports AArch64 EL0 and EL1");
}

// TACR: ACTLR_EL1 is accessible, and writes are ignored (KVM; QEMU's A57 too).
static void auxiliary_control(void) {
    uint64_t before = exceptions();
    register uint64_t x13 __asm__("x13");
    __asm__ volatile(AT(tacr_read) "mrs x13, actlr_el1" : "=r"(x13));
    register uint64_t x12 __asm__("x12") = x13 ^ 0x10;
    __asm__ volatile(AT(tacr_write) "msr actlr_el1, x12" :: "r"(x12) : "memory");
    check(exceptions() == before, "ACTLR_EL1 accessible at EL1");
}

// TSW / TTLB: cache and TLB maintenance complete without a fault.
static void maintenance(void) {
    uint64_t before = exceptions();
    register uint64_t x4 __asm__("x4") = 0;            // level 1, set 0, way 0
    __asm__ volatile(AT(tsw_dc_isw) "dc isw, x4" :: "r"(x4) : "memory");
    __asm__ volatile(AT(ttlb_vmalle1) "tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    register uint64_t x6 __asm__("x6") = 0x40080000 >> 12;
    __asm__ volatile(AT(ttlb_vae1) "tlbi vae1, x6\n\tdsb nsh\n\tisb" :: "r"(x6) : "memory");
    check(exceptions() == before, "DC ISW and TLBI complete");
}

// TWE / TWI: WFE returns (after SEVL it has an event), WFI returns once the
// virtual timer fires (interrupts stay masked: the wake-up needs no delivery).
static void wait_instructions(void) {
    __asm__ volatile("sevl\n\t" AT(twe_wfe) "wfe" ::: "memory");
    check(1, "WFE returned");

    uint64_t now = READ_SYSREG(cntvct_el0);
    WRITE_SYSREG(cntv_cval_el0, now + 100);
    WRITE_SYSREG(cntv_ctl_el0, 1);                     // enabled, not masked
    ISB();
    __asm__ volatile(AT(twi_wfi) "wfi" ::: "memory");
    uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
    WRITE_SYSREG(cntv_ctl_el0, 0);
    ISB();
    check((ctl & 4) != 0, "WFI returned after the virtual timer fired");
}

// TSC: a trapped SMC is a PSCI call; without TSC (and without EL3) SMC is UNDEFINED.
static void secure_monitor_call(void) {
    uint64_t before = exceptions();
    register uint64_t x0 __asm__("x0") = PSCI_VERSION;
    __asm__ volatile(AT(tsc_smc) "smc #0" : "+r"(x0) :: "x1", "x2", "x3", "memory");
    int undef = exceptions() != before;
    if (undef) {
        print("SMC UNDEF esr "); print_hex(last_exception.esr); print(" elr "); print_hex(last_exception.elr); print("\n");
    } else {
        show("SMC PSCI_VERSION", x0);
    }
    check(undef ? (last_exception.esr >> 26) == 0 && last_exception.elr == (uint64_t)tsc_smc : x0 == 0x10000,
          "SMC answered by PSCI, or UNDEF at the SMC");

    // SMCCC reserves SMCs with a non-zero immediate: NOT_SUPPORTED, no PSCI call.
    before = exceptions();
    register uint64_t y0 __asm__("x0") = PSCI_VERSION;
    __asm__ volatile(AT(tsc_smc_imm) "smc #0x51" : "+r"(y0) :: "x1", "x2", "x3", "memory");
    undef = exceptions() != before;
    if (!undef) show("SMC #0x51", y0);
    check(undef ? last_exception.elr == (uint64_t)tsc_smc_imm : y0 == (uint64_t)-1,
          "SMC with a non-zero immediate NOT_SUPPORTED, or UNDEF");
}

static void hypercalls(void) {
    check(hvc_call(PSCI_VERSION, 0, 0, 0).x0 == 0x10000, "PSCI_VERSION is 1.0");
    check(hvc_call(SMCCC_VERSION, 0, 0, 0).x0 == 0x10001, "SMCCC_VERSION is 1.1");
    check(hvc_call(PSCI_FEATURES, PSCI_VERSION, 0, 0).x0 == 0, "PSCI_FEATURES(PSCI_VERSION) supported");
    check(hvc_call(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0, 0).x0 == 0, "PSCI_FEATURES(SYSTEM_OFF) supported");
    check(hvc_call(PSCI_FEATURES, 0x8400007fu, 0, 0).x0 == (uint64_t)-1, "PSCI_FEATURES(unknown) NOT_SUPPORTED");
    check(hvc_call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0).x0 == 2, "MIGRATE_INFO_TYPE: no Trusted OS");
    check(hvc_call(PSCI_CPU_ON, 1, 0x40080000, 0).x0 == (uint64_t)-1, "CPU_ON NOT_SUPPORTED with one vCPU");
    check(hvc_call(0x84000f00u, 0, 0, 0).x0 == (uint64_t)-1, "unknown PSCI id NOT_SUPPORTED");
    check(hvc_call(0xc6000000u, 0, 0, 0).x0 == (uint64_t)-1, "unknown SMCCC id NOT_SUPPORTED");

    register uint64_t x0 __asm__("x0") = PSCI_VERSION;
    __asm__ volatile(AT(hvc_imm) "hvc #0x4b1d" : "+r"(x0) :: "x1", "x2", "x3", "memory");
    check(x0 == 0x10000, "HVC #0x4b1d answered");

    // Split mode swaps the host kernel's EL1 state in and out on every exit:
    // the guest's own values must come back each time.
    check(READ_SYSREG(sctlr_el1) == sctlr_written && READ_SYSREG(ttbr0_el1) == 0x40123000
          && READ_SYSREG(contextidr_el1) == 0x5a, "EL1 state survives the exits");
}

// Undefined at EL1: an IMPLEMENTATION DEFINED register (trapped by TIDCP and
// not emulated: the hypervisor injects the UNDEF) and an EL2 register (UNDEF
// from the hardware itself). Either way the guest's vector sees EC 0x00.
static void undefined(void) {
    uint64_t before = exceptions();
    register uint64_t x5 __asm__("x5");
    __asm__ volatile(AT(undef_impdef) "mrs x5, s3_0_c15_c0_0" : "=r"(x5) :: "memory");
    (void)x5;
    show("UNDEF ESR_EL1", last_exception.esr);
    check(exceptions() == before + 1 && (last_exception.esr >> 26) == 0 && last_exception.elr == (uint64_t)undef_impdef,
          "IMPLEMENTATION DEFINED register access is UNDEFINED");
    __asm__ volatile(AT(undef_el2) "mrs x5, hcr_el2" : "=r"(x5) :: "memory");
    check(exceptions() == before + 2 && (last_exception.esr >> 26) == 0 && last_exception.elr == (uint64_t)undef_el2,
          "HCR_EL2 access from EL1 is UNDEFINED");
    // TLBI ALLE1 is an EL2 instruction (op1=4): UNDEFINED at EL1, even with TTLB.
    __asm__ volatile(AT(undef_tlbi_el2) "tlbi alle1" ::: "memory");
    check(exceptions() == before + 3 && (last_exception.esr >> 26) == 0 && last_exception.elr == (uint64_t)undef_tlbi_el2,
          "TLBI ALLE1 from EL1 is UNDEFINED");
}

int main(void) {
    site("tvm_sctlr", tvm_sctlr); site("tvm_ttbr0", tvm_ttbr0); site("tvm_contextidr", tvm_contextidr);
    site("trvm_ttbr0", trvm_ttbr0); site("tid3_pfr0", tid3_pfr0);
    site("tacr_read", tacr_read); site("tacr_write", tacr_write);
    site("tsw_dc_isw", tsw_dc_isw); site("ttlb_vmalle1", ttlb_vmalle1); site("ttlb_vae1", ttlb_vae1);
    site("twe_wfe", twe_wfe); site("twi_wfi", twi_wfi); site("tsc_smc", tsc_smc); site("tsc_smc_imm", tsc_smc_imm); site("hvc_imm", hvc_imm);
    site("undef_impdef", undef_impdef); site("undef_el2", undef_el2); site("undef_tlbi_el2", undef_tlbi_el2);
    virtual_memory_controls();
    id_registers();
    auxiliary_control();
    maintenance();
    wait_instructions();
    secure_monitor_call();
    hypercalls();
    undefined();
    print(failures ? "traps: FAILED\n" : "traps: all passed\n");
    return failures;
}
