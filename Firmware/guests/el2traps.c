// A monitor at EL2 (`--entry-el 2 --mode nvhe`, or QEMU -M virt,virtualization=on)
// for the traps el2monitor.c leaves out: HCR_EL2.TPC (DC IVAC/CVAC/CIVAC) and TPU
// (DC CVAU, IC IVAU/IALLU/IALLUIS), CPTR_EL2.TCPAC (CPACR_EL1, EC 0x18) and TFP
// (FP/SIMD, EC 0x07: the monitor clears TFP and the instruction runs again, as
// KVM's lazy FP switch does), and TTA (no trace registers on this CPU: UNDEFINED
// at EL1, no exit). Its guest runs with a stage 1 the monitor built (VA
// 0xc0000000 -> IPA 0x80000000) under a stage 2 of its own (IPA 0x80000000 ->
// PA 0x40000000, RAM identity); the monitor's AT S1E2R/W, S1E1R, S12E1R/W and
// S12E0R walk them and it logs PAR_EL1 ("AT ..."). Each exit is logged as in
// el2monitor.c ("EXIT ec=... esr=... elr=... spsr=...").
#include "guest.h"
#include "el2vectors.h"

#define EC(esr) (((esr) >> 26) & 0x3f)
#define HCR_RW (1ull << 31)
#define HCR_TPC (1ull << 23)
#define HCR_TPU (1ull << 24)
#define HCR_VM (1ull << 0)
#define CPTR_RES1 0x32ffull
#define CPTR_TFP (1ull << 10)
#define CPTR_TTA (1ull << 20)
#define CPTR_TCPAC (1ull << 31)
#define ALIAS_VA 0xc0000000ul   // the guest's stage 1: -> IPA 0x80000000
#define ALIAS_IPA 0x80000000ul  // its stage 2: -> PA 0x40000000
#define NOS2_VA 0x80000000ul    // stage 1: -> IPA 0xc0000000, which stage 2 does not map

static uint64_t el2_tables[512] __attribute__((aligned(4096)));
static uint64_t s1_tables[512] __attribute__((aligned(4096)));
static uint64_t s2_tables[512] __attribute__((aligned(4096)));
static volatile uint64_t exits, cmo_seen, cpacr_seen, fp_seen;
void el1_main(void);

static void at_line(const char *what, uint64_t va, uint64_t par) {
    print("AT "); print(what); print(" va="); print_hex(va); print(" par="); print_hex(par); print("\n");
}
#define AT(op, va) ({ __asm__ volatile("at " #op ", %0\n isb" :: "r"((uint64_t)(va)) : "memory"); READ_SYSREG(par_el1); })

// Address translation by the monitor, for itself and for its guest.
static void translate(void) {
    uint64_t code = (uint64_t)el1_main;
    at_line("S1E2R", code, AT(s1e2r, code));
    at_line("S1E2W", 0x80000000ul, AT(s1e2w, 0x80000000ul));             // outside EL2's map: fault
    at_line("S1E1R", ALIAS_VA + 0x1234, AT(s1e1r, ALIAS_VA + 0x1234));   // its stage 1 only: the IPA
    at_line("S12E1R", ALIAS_VA + 0x1234, AT(s12e1r, ALIAS_VA + 0x1234)); // both stages: the PA
    at_line("S12E1W", code, AT(s12e1w, code));
    at_line("S12E0R", ALIAS_VA + 0x5000, AT(s12e0r, ALIAS_VA + 0x5000)); // AP[1] = 0: no EL0 access
    at_line("S12E1R", NOS2_VA + 0x10, AT(s12e1r, NOS2_VA + 0x10));       // stage-2 fault (S)
    at_line("S12E1R", 0x10, AT(s12e1r, 0x10));                           // stage-1 fault
}

uint64_t el2_exit(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    exits++;
    print("EXIT ec="); print_hex(EC(esr)); print(" esr="); print_hex(esr);
    print(" elr="); print_hex(elr); print(" spsr="); print_hex(READ_SYSREG(spsr_el2));
    print(kind == 8 ? " sync\n" : " unexpected\n");
    if (kind != 8) guest_exit(2);
    switch (EC(esr)) {
    case 0x18: {                         // DC/IC (TPC, TPU) or CPACR_EL1 (TCPAC)
        uint32_t iss = esr & 0x1ffffff, rt = (iss >> 5) & 31, read = iss & 1;
        if ((iss >> 20 & 3) == 1) { cmo_seen++; return elr + 4; }   // Op0 1: cache maintenance, done as a no-op
        if ((iss & 0x3ffc1e) == (3u << 20 | 2u << 17 | 1u << 10 | 0u << 1) && rt <= 18) {   // CPACR_EL1: its guest's
            cpacr_seen++;
            if (read) frame[rt] = READ_SYSREG(cpacr_el1); else WRITE_SYSREG(cpacr_el1, frame[rt]);
            return elr + 4;
        }
        break;
    }
    case 0x07:                           // FP/SIMD: give it the FP registers and run the instruction again
        fp_seen++;
        WRITE_SYSREG(cptr_el2, READ_SYSREG(cptr_el2) & ~CPTR_TFP);
        return elr;
    case 0x16:                           // HVC #1: the address translations
        translate();
        return elr;
    default:
        break;
    }
    print("FAIL unexpected exit\n");
    guest_exit(3);
}

int main(void) {
    check((READ_SYSREG(CurrentEL) >> 2) == 2, "the monitor starts at EL2");
    el2_setup(el2_tables);
    // Its guest's stage 1: RAM identity (Normal WB), ALIAS_VA -> ALIAS_IPA, NOS2_VA -> 0xc0000000.
    s1_tables[1] = 0x40000000 | 1u << 10 | 3u << 8 | 0 << 2 | 1;
    s1_tables[2] = 0xc0000000 | 1u << 10 | 3u << 8 | 0 << 2 | 1;
    s1_tables[3] = ALIAS_IPA | 1u << 10 | 3u << 8 | 0 << 2 | 1;
    WRITE_SYSREG(mair_el1, 0xff);
    // T0SZ 25, WB, inner shareable, 4K, EPD1, IPS 40 bits.
    WRITE_SYSREG(tcr_el1, 25 | 1 << 8 | 1 << 10 | 3 << 12 | 1u << 23 | 2ull << 32);
    WRITE_SYSREG(ttbr0_el1, (uint64_t)s1_tables);
    WRITE_SYSREG(sctlr_el1, 0x30d00800 | 1 << 0 | 1 << 2 | 1 << 12);
    WRITE_SYSREG(cpacr_el1, 3 << 20);    // its guest's FP/SIMD open at EL1 (FPEN)
    // Stage 2: IPA 1-2 GiB -> PA (RAM), IPA 2-3 GiB -> PA 1-2 GiB (the alias).
    s2_tables[1] = 0x40000000 | 1u << 10 | 3u << 8 | 3u << 6 | 0xfu << 2 | 1;
    s2_tables[2] = 0x40000000 | 1u << 10 | 3u << 8 | 3u << 6 | 0xfu << 2 | 1;
    WRITE_SYSREG(vtcr_el2, 25 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 2 << 16 | 1u << 31);
    WRITE_SYSREG(vttbr_el2, (uint64_t)s2_tables | 1ull << 48);
    __asm__ volatile("dsb ish; tlbi vmalls12e1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(cptr_el2, CPTR_RES1 | CPTR_TFP | CPTR_TTA | CPTR_TCPAC);
    WRITE_SYSREG(hcr_el2, HCR_RW | HCR_TPC | HCR_TPU | HCR_VM);
    WRITE_SYSREG(sp_el1, (uint64_t)__stack_top + 0x10000);
    WRITE_SYSREG(spsr_el2, 0x3c5);       // EL1h, DAIF masked
    WRITE_SYSREG(elr_el2, (uint64_t)el1_main);
    __asm__ volatile("eret" ::: "memory");
    __builtin_unreachable();
}

void el1_main(void) {
    check((READ_SYSREG(CurrentEL) >> 2) == 1, "the guest runs at EL1 with its stage 1 on");
    uint64_t line = (uint64_t)&exits;
    __asm__ volatile("dc cvac, %0\n dc civac, %0\n dc ivac, %0" :: "r"(line) : "memory");
    check(cmo_seen == 3, "DC CVAC, CIVAC, IVAC trapped to EL2 (HCR_EL2.TPC)");
    __asm__ volatile("dc cvau, %0\n ic ivau, %0\n ic iallu\n ic ialluis" :: "r"(line) : "memory");
    check(cmo_seen == 7, "DC CVAU, IC IVAU, IALLU, IALLUIS trapped to EL2 (HCR_EL2.TPU)");
    uint64_t cpacr = X0_READ(cpacr_el1);
    X0_WRITE(cpacr_el1, cpacr);
    check(cpacr == 3 << 20 && cpacr_seen == 2, "CPACR_EL1 read and written through EL2 (CPTR_EL2.TCPAC)");
    uint64_t back;
    // FMOV D0, X1 and FMOV X2, D0 (as words: the guests build with -mgeneral-regs-only).
    __asm__ volatile("mov x1, #0x5a5a\n .inst 0x9e670020\n .inst 0x9e660002\n mov %0, x2" : "=r"(back) :: "x1", "x2", "v0", "memory");
    check(back == 0x5a5a && fp_seen == 1, "FP/SIMD trapped to EL2 once (CPTR_EL2.TFP), then run");
    // TRCPRGCTLR with CPTR_EL2.TTA: no trace System registers here, so UNDEFINED at EL1, no exit.
    uint64_t n = last_exception.count, before = exits;
    __asm__ volatile("mrs x0, s2_1_c0_c1_0" ::: "x0", "memory");
    print("EL1 exception ec="); print_hex(EC(last_exception.esr)); print("\n");
    check(last_exception.count == n + 1 && EC(last_exception.esr) == 0 && exits == before,
          "a trace register access is UNDEFINED at EL1 (ID_AA64DFR0_EL1.TraceVer 0), not trapped by TTA");
    print("ID_AA64DFR0_EL1.TraceVer="); print_dec(READ_SYSREG(id_aa64dfr0_el1) >> 4 & 0xf); print("\n");
    hvc_call(0, 0, 0, 0);
    check(exits == 11, "eleven exits");
    print(failures ? "FAIL el2traps\n" : "PASS el2traps\n");
    smc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    print("FAIL SYSTEM_OFF returned\n");
    guest_exit(1);
}
