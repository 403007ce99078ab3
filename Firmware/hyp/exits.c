// Exits: what happens when the guest does something HCR_EL2 traps. Each
// synchronous exit goes to a handler chosen by ESR_EL2.EC, as KVM's
// arm_exit_handlers[]; IRQs go to vgic.c. Every exit prints one line:
//   exit EC=0x16 ISS=0x0000000 ELR=0x0000000040080f2c FAR=0x0000000000000000 HPFAR=0x0000000000000000
//   exit IRQ INTID=0x01b ELR=0x0000000040080f2c
// FAR and HPFAR are printed for aborts only (else 0: the architecture
// leaves them UNKNOWN).
#include "hyp.h"

#define ESR_ISS(esr) ((esr) & 0x1ffffff)
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)

typedef void exit_handler(struct guest_regs *regs, uint64_t esr);

// The instruction that exited is done: resume after it (AArch64, 4 bytes).
static void skip_instruction(void) {
    write_sysreg(elr_el2, read_sysreg(elr_el2) + 4);
}

// Makes the guest take a synchronous exception at its EL1 when it resumes
// (KVM's inject_undef64 and inject_abt64): the guest's ESR/ELR/SPSR_EL1 as
// an exception entry sets them, and the ERET goes to its vector instead of
// back.
static void inject_sync_exception(uint64_t esr) {
    uint64_t spsr = read_sysreg(spsr_el2), mode = spsr & 0xf;
    write_sysreg(esr_el1, esr);
    write_sysreg(elr_el1, read_sysreg(elr_el2));
    write_sysreg(spsr_el1, spsr);
    uint64_t offset = mode == 0x5 ? 0x200 : mode == 0x4 ? 0x000 : 0x400;   // EL1h, EL1t, EL0
    write_sysreg(elr_el2, read_sysreg(vbar_el1) + offset);
    write_sysreg(spsr_el2, 0x3c5);         // EL1h, DAIF masked
}

#define ESR_IL (1ul << 25)                 // a 32-bit instruction

// What the hardware would have done without the trap.
static void inject_undef(void) {
    inject_sync_exception((uint64_t)EC_UNKNOWN << 26 | ESR_IL);
}

// A synchronous external abort (FSC 0x10) at `far`, from the guest's EL0
// or EL1: what it gets for touching an IPA with nothing behind it.
static void inject_abort(int instruction, uint64_t far) {
    int from_el0 = (read_sysreg(spsr_el2) & 0xf) == 0;
    uint64_t ec = (instruction ? EC_IABT_LOW : EC_DABT_LOW) + !from_el0;   // *_LOW + 1: *_CUR
    write_sysreg(far_el1, far);
    inject_sync_exception(ec << 26 | ESR_IL | 0x10);
}

// WFI/WFE (TWI, TWE). WFE: nothing to yield to, go on. WFI: the vCPU
// sleeps until an interrupt would wake it; with no other vCPU to run, the
// hypervisor waits here (vgic.c) unless a virtual interrupt is pending.
static void handle_wfx(struct guest_regs *regs, uint64_t esr) {
    (void)regs;
    if (!(esr & 1) && !vgic_pending()) wait_for_guest_interrupt();
    skip_instruction();
}

// HVC: ELR_EL2 already points past it.
static void handle_hvc(struct guest_regs *regs, uint64_t esr) {
    (void)esr;
    psci_call(regs);
}

// SMC (TSC): ELR_EL2 points at it. SMCCC reserves a non-zero immediate.
static void handle_smc(struct guest_regs *regs, uint64_t esr) {
    if (ESR_ISS(esr) & 0xffff) regs->x[0] = (uint64_t)-1;
    else psci_call(regs);
    skip_instruction();
}

// System register accesses (EC 0x18). ISS: Op0, Op2, Op1, CRn, Rt, CRm,
// Direction (1 = read).
#define SYS_ENC(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define ISS_SYS_ENC(iss) SYS_ENC((iss) >> 20 & 3, (iss) >> 14 & 7, (iss) >> 10 & 15, (iss) >> 1 & 15, (iss) >> 17 & 7)

// The guest's own EL1 register is in the CPU (no host to switch with), so
// a trapped access is done here on the register itself: TVM traps the
// writes to the virtual memory controls so a hypervisor can see them.
#define READER(r) static uint64_t read_##r(void) { return read_sysreg(r); }
#define ACCESSORS(r) READER(r) static void write_##r(uint64_t v) { write_sysreg(r, v); }
ACCESSORS(sctlr_el1) ACCESSORS(ttbr0_el1) ACCESSORS(ttbr1_el1) ACCESSORS(tcr_el1)
ACCESSORS(esr_el1) ACCESSORS(far_el1) ACCESSORS(afsr0_el1) ACCESSORS(afsr1_el1)
ACCESSORS(mair_el1) ACCESSORS(amair_el1) ACCESSORS(contextidr_el1)
READER(actlr_el1)
READER(id_aa64pfr0_el1) READER(id_aa64pfr1_el1) READER(id_aa64dfr0_el1) READER(id_aa64dfr1_el1)
READER(id_aa64isar0_el1) READER(id_aa64isar1_el1) READER(id_aa64mmfr0_el1) READER(id_aa64mmfr1_el1)
static void ignore_write(uint64_t v) { (void)v; }
static void write_icc_sgi1r_el1(uint64_t v) { write_sysreg(icc_sgi1r_el1, v); isb(); }

struct sys_reg { uint32_t enc; uint64_t (*read)(void); void (*write)(uint64_t); };
#define REG(r, ...) { SYS_ENC(__VA_ARGS__), read_##r, write_##r }
#define ID_REG(r, ...) { SYS_ENC(__VA_ARGS__), read_##r, 0 }
static const struct sys_reg sys_regs[] = {
    REG(sctlr_el1, 3, 0, 1, 0, 0),     REG(ttbr0_el1, 3, 0, 2, 0, 0),
    REG(ttbr1_el1, 3, 0, 2, 0, 1),     REG(tcr_el1, 3, 0, 2, 0, 2),
    REG(afsr0_el1, 3, 0, 5, 1, 0),     REG(afsr1_el1, 3, 0, 5, 1, 1),
    REG(esr_el1, 3, 0, 5, 2, 0),       REG(far_el1, 3, 0, 6, 0, 0),
    REG(mair_el1, 3, 0, 10, 2, 0),     REG(amair_el1, 3, 0, 10, 3, 0),
    REG(contextidr_el1, 3, 0, 13, 0, 1),
    // TACR: ACTLR_EL1 reads the CPU's, writes are ignored (as KVM).
    { SYS_ENC(3, 0, 1, 0, 1), read_actlr_el1, ignore_write },
    // TID3: the ID registers, the CPU's values (KVM sanitises them).
    ID_REG(id_aa64pfr0_el1, 3, 0, 0, 4, 0),  ID_REG(id_aa64pfr1_el1, 3, 0, 0, 4, 1),
    ID_REG(id_aa64dfr0_el1, 3, 0, 0, 5, 0),  ID_REG(id_aa64dfr1_el1, 3, 0, 0, 5, 1),
    ID_REG(id_aa64isar0_el1, 3, 0, 0, 6, 0), ID_REG(id_aa64isar1_el1, 3, 0, 0, 6, 1),
    ID_REG(id_aa64mmfr0_el1, 3, 0, 0, 7, 0), ID_REG(id_aa64mmfr1_el1, 3, 0, 0, 7, 1),
    // TSW: data cache maintenance by set/way cannot be done for a guest (it
    // does not know the other guests' lines); KVM flushes the guest's memory
    // when its caches are turned on or off instead. Nothing to do here.
    { SYS_ENC(1, 0, 7, 6, 2), 0, ignore_write },    // DC ISW
    { SYS_ENC(1, 0, 7, 10, 2), 0, ignore_write },   // DC CSW
    { SYS_ENC(1, 0, 7, 14, 2), 0, ignore_write },   // DC CISW
    // IMO: the guest's SGIs. With one vCPU on one CPU, its target is this
    // CPU: send the physical SGI, which exits and is injected (vgic.c).
    { SYS_ENC(3, 0, 12, 11, 5), 0, write_icc_sgi1r_el1 },
};

static void handle_sys64(struct guest_regs *regs, uint64_t esr) {
    uint64_t iss = ESR_ISS(esr);
    uint32_t enc = ISS_SYS_ENC(iss);
    unsigned rt = iss >> 5 & 31, is_read = iss & 1;
    for (unsigned i = 0; i < sizeof sys_regs / sizeof sys_regs[0]; i++) {
        const struct sys_reg *r = &sys_regs[i];
        if (r->enc != enc || (is_read ? !r->read : !r->write)) continue;
        if (is_read) { if (rt != 31) regs->x[rt] = r->read(); }
        else r->write(rt == 31 ? 0 : regs->x[rt]);
        skip_instruction();
        return;
    }
    // The rest of the TID3 space reads as zero, as the architecture has
    // its unallocated encodings.
    if (is_read && enc >> 7 == SYS_ENC(3, 0, 0, 0, 0) >> 7 && (enc >> 3 & 15) >= 1) {
        if (rt != 31) regs->x[rt] = 0;
        skip_instruction();
        return;
    }
    inject_undef();   // TIDCP's IMPLEMENTATION DEFINED registers, and anything else
}

// Instruction aborts from the guest (EC 0x20): all of its RAM is mapped, so
// a stage-2 fault is a fetch from outside it (or from a device).
static void handle_iabt(struct guest_regs *regs, uint64_t esr) {
    (void)regs; (void)esr;
    inject_abort(1, read_sysreg(far_el2));
}

// Data aborts from the guest (EC 0x24): a stage-2 fault in the hole at the
// PL011, or an IPA with nothing behind it (an external abort for the
// guest). With ISV the syndrome describes the access (SAS size, SRT
// register, SSE sign extension, SF 64-bit register, WnR write), so the
// instruction need not be decoded. The IPA is HPFAR_EL2's page with FAR's
// offset in it.
static void handle_dabt(struct guest_regs *regs, uint64_t esr) {
    uint64_t iss = ESR_ISS(esr);
    uint64_t ipa = (read_sysreg(hpfar_el2) & 0xffffffffff0ul) << 8 | (read_sysreg(far_el2) & 0xfff);
    if (!mmio_device(ipa)) { inject_abort(0, read_sysreg(far_el2)); return; }
    // Without ISV (a load/store pair, writeback...) only decoding the
    // instruction would tell; KVM hands that to the VMM or stops the VM.
    if (!(iss & (1u << 24))) hyp_stop("data abort without ISV: cannot emulate the access");
    int size = 1 << (iss >> 22 & 3), srt = iss >> 16 & 31, is_write = iss >> 6 & 1;
    uint64_t value = srt == 31 ? 0 : regs->x[srt];
    if (size < 8) value &= (1ul << 8 * size) - 1;
    mmio_access(ipa, is_write, size, &value);
    if (!is_write && srt != 31) {
        if (iss >> 21 & 1 && size < 8 && value >> (8 * size - 1) & 1) value |= ~0ul << 8 * size;  // SSE
        if (!(iss >> 15 & 1)) value &= 0xffffffff;                                                // SF = 0: Wt
        regs->x[srt] = value;
    }
    skip_instruction();
}

static void handle_unknown(struct guest_regs *regs, uint64_t esr) {
    (void)regs; (void)esr;
    hyp_stop("an exit this hypervisor has no handler for");
}

static exit_handler *const exit_handlers[64] = {
    [EC_WFX] = handle_wfx,
    [EC_HVC64] = handle_hvc,
    [EC_SMC64] = handle_smc,
    [EC_SYS64] = handle_sys64,
    [EC_IABT_LOW] = handle_iabt,
    [EC_DABT_LOW] = handle_dabt,
};

// Called by the vector (entry.S) with the vector's index: 8 synchronous,
// 9 IRQ, 10 FIQ, 11 SError, all from the guest at EL1/EL0.
void handle_exit(uint64_t vector, struct guest_regs *regs) {
    uint64_t elr = read_sysreg(elr_el2);
    if (vector == 9) {
        uint64_t intid = gic_acknowledge();
        puts("exit IRQ INTID="); put_hex(intid, 3); puts(" ELR="); put_hex(elr, 16); puts("\n");
        handle_irq(intid);
        return;
    }
    if (vector != 8) hyp_stop(vector == 10 ? "FIQ exit (no group 0 interrupts expected)" : "SError exit");
    uint64_t esr = read_sysreg(esr_el2), ec = ESR_EC(esr);
    int abort = ec == EC_IABT_LOW || ec == EC_DABT_LOW;
    puts("exit EC="); put_hex(ec, 2);
    puts(" ISS="); put_hex(ESR_ISS(esr), 7);
    puts(" ELR="); put_hex(elr, 16);
    puts(" FAR="); put_hex(abort ? read_sysreg(far_el2) : 0, 16);
    puts(" HPFAR="); put_hex(abort ? read_sysreg(hpfar_el2) : 0, 16);
    puts("\n");
    (exit_handlers[ec] ? exit_handlers[ec] : handle_unknown)(regs, esr);
}
