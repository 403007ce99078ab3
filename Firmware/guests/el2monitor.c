// A small EL2 monitor (`--entry-el 2 --mode nvhe`, or QEMU -M virt,virtualization=on):
// entered at EL2 without E2H, it sets its own vectors (VBAR_EL2) and an
// identity stage 1 for EL2 (SCTLR_EL2.M with TCR_EL2/TTBR0_EL2/MAIR_EL2),
// traps WFI, SMC, IRQs, SCTLR_EL1 and the ID registers of its guest
// (HCR_EL2 = RW|TWI|TSC|IMO|TVM|TRVM|TID3) and ERETs to an EL1 part. Each exit
// is logged at EL2 ("EXIT ec=... esr=... elr=... spsr=...") and resumed by an
// ERET; the EL1 part does an HVC, a WFI, PSCI VERSION over SMC (forwarded by
// EL2 to the firmware), an SCTLR_EL1 read and write (emulated on its stored
// EL1 registers), an ID register read and lets its physical timer fire; it
// prints PASS lines and ends with PSCI SYSTEM_OFF, also forwarded. Its guest
// runs under a stage 2 of the monitor's (HCR_EL2.VM): RAM identity-mapped, a
// hole at IPA 0x10000000 whose loads and stores the monitor emulates from
// the syndrome (ISV, SAS, SRT, WnR) and logs with FAR_EL2 and HPFAR_EL2.
// Last, HVC #2 asks for a virtual IRQ (HCR_EL2.VI), which the guest takes
// where it unmasks IRQs; its handler's HVC #1 has the monitor clear VI.
#ifdef VHE
// TCR_EL2 in EL1's format with E2H: EPD1, TG1 4K, IPS 40 bits (el2vectors.h's el2_setup writes it).
#define EL2_TCR (25 | 1 << 8 | 1 << 10 | 3 << 12 | 1u << 23 | 2ull << 30 | 2ull << 32)
#endif
#include "guest.h"
#include "gic.h"
#include "el2vectors.h"

#define EC(esr) (((esr) >> 26) & 0x3f)
#define HCR_RW (1ull << 31)
#define HCR_TSC (1ull << 19)
#define HCR_TWI (1ull << 13)
#define HCR_IMO (1ull << 4)
#define HCR_TVM (1ull << 26)
#define HCR_TRVM (1ull << 30)
#define HCR_TID3 (1ull << 18)
#define HCR_VM (1ull << 0)
#define HCR_VI (1ull << 7)
#define HOLE 0x10000000ul
#define HCR_E2H (1ull << 34)
#define HCR_TGE (1ull << 27)
#ifdef VHE
// el2vhe.c: the same monitor as a VHE host (E2H; its guest runs with TGE clear).
// Its guest's EL1 registers through the *_EL12/*_EL02 aliases; TCR_EL2 in EL1's format.
#define GUEST_SCTLR S3_5_C1_C0_0       // SCTLR_EL12
#define GUEST_ESR S3_5_C5_C2_0         // ESR_EL12
#define GUEST_CNTP_CTL S3_5_C14_C2_1   // CNTP_CTL_EL02
#define HCR_HOST HCR_E2H
#define CNTHCTL_VALUE (3 | 3 << 10)                         // EL1PCTEN, EL1PTEN (E2H's layout)
#else
#define GUEST_SCTLR sctlr_el1
#define GUEST_ESR esr_el1
#define GUEST_CNTP_CTL cntp_ctl_el0
#define HCR_HOST 0
#define CNTHCTL_VALUE 3
#endif
// Through one more macro, so that the names above expand before they are stringized.
#define READ_REG(name) READ_SYSREG(name)
#define WRITE_REG(name, v) WRITE_SYSREG(name, v)

static uint64_t el2_tables[512] __attribute__((aligned(4096)));
static uint64_t s2_tables[512] __attribute__((aligned(4096)));
static uint64_t hole_value;
static volatile uint64_t exits, hvc_seen, wfi_seen, smc_seen, sys_seen, irq_seen, abort_seen, virq_seen;
void el1_main(void);

// One line per exit, as the hardware reported it.
uint64_t el2_exit(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    exits++;
    if (kind == 9) {                     // IRQ from the guest (IMO): ESR_EL2 is not written
        uint64_t intid = gic_ack();
        WRITE_REG(GUEST_CNTP_CTL, 0);   // its timer off
        gic_eoi(intid);
        irq_seen = intid;
        print("EXIT irq intid="); print_dec(intid);
        print(" elr="); print_hex(elr); print(" spsr="); print_hex(READ_SYSREG(spsr_el2)); print("\n");
        return elr;
    }
    print("EXIT ec="); print_hex(EC(esr)); print(" esr="); print_hex(esr);
    print(" elr="); print_hex(elr); print(" spsr="); print_hex(READ_SYSREG(spsr_el2));
    if (EC(esr) == 0x24) { print(" far="); print_hex(READ_SYSREG(far_el2)); print(" hpfar="); print_hex(READ_SYSREG(hpfar_el2)); }
    print(kind == 8 ? " sync\n" : " unexpected\n");
    if (kind != 8) guest_exit(2);        // not from the EL1 guest: stop here
    switch (EC(esr)) {
    case 0x24: {                         // stage-2 data abort: emulate the hole's one register
        uint32_t srt = (esr >> 16) & 31;
        uint64_t ipa = (READ_SYSREG(hpfar_el2) >> 4) << 12 | (READ_SYSREG(far_el2) & 0xfff);
        abort_seen++;
        if (!(esr & (1u << 24)) || srt > 18 || (ipa & ~0xffful) != HOLE) break;   // ISV, a saved Rt, the hole
        if (esr & (1u << 6)) hole_value = frame[srt] + 1; else frame[srt] = hole_value;
        return elr + 4;
    }
    case 0x16:                           // HVC: ELR is past it. #0 answers in x0, #2 sets VI, #1 clears it
        hvc_seen++;
        if ((esr & 0xffff) == 2) WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) | HCR_VI);
        else if ((esr & 0xffff) == 1) WRITE_SYSREG(hcr_el2, READ_SYSREG(hcr_el2) & ~HCR_VI);
        else frame[0] = frame[0] + 0x100;
        return elr;
    case 0x01:                           // WFI: ELR is the WFI itself
        wfi_seen++;
        return elr + 4;
    case 0x17: {                         // SMC: ELR is the SMC itself; forward to the firmware
        smc_seen++;
        struct hvc_result r = smc_call(frame[0], frame[1], frame[2], frame[3]);
        frame[0] = r.x0;
        return elr + 4;
    }
    case 0x18: {                         // MRS/MSR: Op0 Op2 Op1 CRn Rt CRm Dir
        uint32_t iss = esr & 0x1ffffff, rt = (iss >> 5) & 31, read = iss & 1;
        uint32_t reg = iss & 0x3ffc1e;   // the encoding without Rt and Dir
        uint64_t *x = rt <= 18 ? &frame[rt] : 0;
        sys_seen++;
        if (!x) break;
        if (reg == (3u << 20 | 1u << 10)) {                  // SCTLR_EL1: its guest's, kept by the CPU
            if (read) *x = READ_REG(GUEST_SCTLR); else WRITE_REG(GUEST_SCTLR, *x);
            return elr + 4;
        }
        if (reg == (3u << 20 | 5u << 10 | 2u << 1) && read) { // ESR_EL1 (its vectors read it): its guest's
            *x = READ_REG(GUEST_ESR);
            return elr + 4;
        }
        if (reg == (3u << 20 | 7u << 1) && read) {           // ID_AA64MMFR0_EL1: the real one
            *x = READ_SYSREG(id_aa64mmfr0_el1);
            return elr + 4;
        }
        break;
    }
    default:
        break;
    }
    print("FAIL unexpected exit\n");
    guest_exit(3);
}


int main(void) {
    check((READ_SYSREG(CurrentEL) >> 2) == 2, "the monitor starts at EL2");
#ifdef VHE
    // As Linux's __finalise_el2: E2H and TGE on after non-VHE EL2 code ran; FP/SIMD
    // left untrapped (CPTR_EL2 reads in CPACR's layout with E2H).
    WRITE_SYSREG(vbar_el2, (uint64_t)el2_vectors);
    check(((READ_SYSREG(id_aa64mmfr1_el1) >> 8) & 0xf) == 1, "the CPU has VHE (ID_AA64MMFR1_EL1.VH)");
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_E2H | HCR_TGE);
    ISB();
    WRITE_SYSREG(cpacr_el1, 3u << 20);
    check(READ_SYSREG(vbar_el1) == (uint64_t)el2_vectors, "with E2H, VBAR_EL1 at EL2 is VBAR_EL2");
#endif
    el2_setup(el2_tables);
    check(READ_SYSREG(sctlr_el2) & 1, "EL2 stage 1 on (SCTLR_EL2.M)");
    check(READ_SYSREG(tcr_el2) == EL2_TCR, "TCR_EL2 reads back as written");
    check(READ_SYSREG(vbar_el2) == (uint64_t)el2_vectors, "VBAR_EL2 reads back");

    // The GIC and the EL1 physical timer for its guest (CNTHCTL_EL2.EL1PCEN|EL1PCTEN).
    gic_init_distributor();
    gic_init_cpu(0);
    WRITE_SYSREG(cnthctl_el2, CNTHCTL_VALUE);
    // Stage 2: IPA 1-2 GiB -> PA (RAM, Normal write-back, read/write, AF), the rest a hole.
    s2_tables[1] = 0x40000000 | 1u << 10 | 3u << 8 | 3u << 6 | 0xfu << 2 | 1;
    // T0SZ 25, SL0 1 (level-1 start), WB, inner shareable, 4K, PS 40 bits, RES1 bit 31.
    WRITE_SYSREG(vtcr_el2, 25 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 2 << 16 | 1u << 31);
    WRITE_SYSREG(vttbr_el2, (uint64_t)s2_tables | 1ull << 48);   // VMID 1
    __asm__ volatile("dsb ish; tlbi vmalls12e1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(hcr_el2, HCR_HOST | HCR_RW | HCR_TWI | HCR_TSC | HCR_IMO | HCR_TVM | HCR_TRVM | HCR_TID3 | HCR_VM);
    WRITE_SYSREG(sp_el1, (uint64_t)__stack_top + 0x10000);
    WRITE_SYSREG(spsr_el2, 0x3c5);       // EL1h, DAIF masked
    WRITE_SYSREG(elr_el2, (uint64_t)el1_main);
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}

// The guest's own EL1 vectors (start.S): the virtual IRQ, ended by asking EL2 to clear VI.
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if (kind != 5) return default_exception(kind, esr, elr);
    virq_seen++;
    __asm__ volatile("hvc #1" ::: "memory");
    return elr;
}

void el1_main(void) {
    check((READ_SYSREG(CurrentEL) >> 2) == 1, "the guest runs at EL1");
    uint64_t r = hvc_call(0x23, 0, 0, 0).x0;
    check(r == 0x123 && hvc_seen == 1, "HVC reached the monitor at EL2 and returned");
    __asm__ volatile("wfi" ::: "memory");
    check(wfi_seen == 1, "WFI trapped to EL2 (HCR_EL2.TWI) and resumed");
    uint64_t v = smc_call(PSCI_VERSION, 0, 0, 0).x0;
    check(smc_seen == 1 && v >= 0x10000 && v < 0x20000, "PSCI VERSION over SMC, trapped (TSC) and forwarded");
    uint64_t sctlr = X0_READ(sctlr_el1);
    X0_WRITE(sctlr_el1, sctlr ^ (1u << 2));
    check(X0_READ(sctlr_el1) == (sctlr ^ (1u << 2)) && sys_seen == 3, "SCTLR_EL1 read and written through EL2 (TRVM, TVM)");
    X0_WRITE(sctlr_el1, sctlr);
    check(X0_READ(id_aa64mmfr0_el1) != 0 && sys_seen == 5, "ID_AA64MMFR0_EL1 read through EL2 (TID3)");
    // The timer fires at once (CVAL 0): with IMO, taken to EL2 whatever PSTATE.I, right after the MSR.
    WRITE_SYSREG(cntp_cval_el0, 0);
    __asm__ volatile("mov x0, #1\n msr cntp_ctl_el0, x0\n isb\n" ::: "x0", "memory");
    check(irq_seen == PTIMER_PPI, "the physical timer's IRQ (PPI 30) taken to EL2 (IMO)");
    // The hole: a store and a load through x1/x2, each a stage-2 abort the monitor emulates.
    uint64_t got;
    __asm__ volatile("mov x0, %1\n mov x1, #0x41\n str x1, [x0, #8]\n ldr x2, [x0, #8]\n mov %0, x2"
                     : "=r"(got) : "r"(HOLE) : "x0", "x1", "x2", "memory");
    check(got == 0x42 && abort_seen == 2, "stage 2: a store and a load in the hole emulated by EL2 (ISV, SRT)");
    check(exits == 11, "eleven exits so far");
    __asm__ volatile("hvc #2\n msr daifclr, #2\n nop\n msr daifset, #2" ::: "memory");
    check(virq_seen == 1 && exits == 14, "a virtual IRQ (HCR_EL2.VI) taken at EL1 where it unmasks IRQs");
    print(failures ? "FAIL el2monitor\n" : "PASS el2monitor\n");
    smc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    print("FAIL SYSTEM_OFF returned\n");
    guest_exit(1);
}
