import AArch64
import Unicorn

/// Non-VHE EL2 code of a guest that owns EL2 (`--entry-el 2`, HCR_EL2.E2H = 0)
/// that stays at EL2: its own vectors, stage 1 and exception registers. It
/// runs in Unicorn at EL1, Unicorn's EL1 registers of `regimePairs` playing
/// the EL2 ones (TCR_EL2 and SCTLR_EL2 translated to the EL1 format), while
/// the guest hypervisor's *_EL1 accesses reach its own guest's registers,
/// stored in `GuestOwnedEL2.el1Registers`. The ERET to that guest and its
/// exceptions back swap the two sets, as a world switch by hardware would
/// (GuestEL2WorldSwitch.swift).
///
/// The split starts at the first access to one of these EL2 registers, an
/// exception taken at EL2 or an ERET without E2H: before it, Unicorn's EL1
/// registers are EL1's (what init_el writes at EL2, VBAR_EL1 among them, is
/// its EL1 guest's). A VHE host (E2H and TGE from the start) never splits.
struct GuestEL2Regime {
    /// Unicorn's EL1 registers of `regimePairs` hold the EL2 regime while EL2 code runs.
    var split = false
    /// SP_EL2 while the guest's EL1 runs (Unicorn's SP_EL1 is SP_EL2 while EL2 code runs).
    var sp: UInt64 = 0
    /// EL2 registers with no effect on a guest that runs AArch64 only: held, read back.
    var held: [SystemRegister: UInt64] = [:]
    /// A world switch a code hook found, for the run loop to perform: a trap of its
    /// guest's instruction at `elr`, or an ERET from EL2 at `pc` to SPSR `spsr`.
    enum PendingSwitch { case trap(ExceptionSyndrome, elr: UInt64), eret(spsr: UInt64, elr: UInt64, pc: UInt64) }
    var pending: PendingSwitch?

    /// (EL1 register Unicorn runs with, the EL2 register it plays).
    static let regimePairs: [(el1: SystemRegister, el2: SystemRegister)] = [
        (.SCTLR_EL1, .SCTLR_EL2), (.TCR_EL1, .TCR_EL2), (.TTBR0_EL1, .TTBR0_EL2), (.MAIR_EL1, .MAIR_EL2),
        (.AMAIR_EL1, EL2Registers.AMAIR_EL2), (.VBAR_EL1, .VBAR_EL2), (.ELR_EL1, .ELR_EL2), (.SPSR_EL1, .SPSR_EL2),
        (.ESR_EL1, .ESR_EL2), (.FAR_EL1, .FAR_EL2), (.AFSR0_EL1, EL2Registers.AFSR0_EL2), (.AFSR1_EL1, EL2Registers.AFSR1_EL2),
    ]
    /// The guest's EL1 registers swapped with the regime: those above, CPACR_EL1 (EL2's FP access is CPTR_EL2's) and SP_EL1.
    static let swappedEL1: [SystemRegister] = regimePairs.map(\.el1) + [.CPACR_EL1]
    static let heldEL2: Set<SystemRegister> = [
        SystemRegister(3, 4, 1, 1, 3),   // HSTR_EL2
        SystemRegister(3, 4, 1, 1, 7),   // HACR_EL2
        SystemRegister(3, 4, 1, 0, 1),   // ACTLR_EL2
    ]

    /// TCR_EL2 (one range: T0SZ..TG0 as TCR_EL1's, PS [18:16], TBI [20]) as TCR_EL1:
    /// TTBR1 walks disabled (EPD1, a valid TG1), IPS from PS, TBI0 from TBI.
    static func el1TCR(_ tcrEL2: UInt64) -> UInt64 {
        tcrEL2 & 0xFF3F | (tcrEL2 >> 16 & 7) << 32 | (tcrEL2 >> 20 & 1) << 37 | 1 << 23 | 2 << 30
    }

    /// SCTLR_EL2 as SCTLR_EL1: M A C SA I WXN EE, with SCTLR_EL1's RES1 bits (SPAN set: no PAN on entry).
    static func el1SCTLR(_ sctlrEL2: UInt64) -> UInt64 {
        sctlrEL2 & 0x0208_100F | 0x30D0_0800
    }
}

extension Processor {
    /// Stage 2 applies: HCR_EL2.VM, and not to the guest's own EL2 code (which owns the tables).
    var stage2Enabled: Bool {
        guard el2.hcr.contains(.VM) else { return false }
        guard let g = ownEL2 else { return true }
        return !g.el1IsEL2
    }

    /// Is a physical IRQ taken at the EL the guest runs at now? At non-VHE EL2
    /// only with HCR_EL2.IMO (else it targets EL1); at its guest's EL1 only
    /// without (else its EL2 takes it, `takeToGuestEL2`).
    var physicalIRQTakenHere: Bool {
        if runsGuestEL2Code { return el2.hcr.contains(.E2H) || el2.hcr.contains(.IMO) }
        return !el2.hcr.contains(.IMO)
    }

    /// The value Unicorn's EL1 register runs with for EL2 register `r`.
    func regimeValue(_ r: SystemRegister) -> UInt64 {
        let v = el2[r] ?? 0
        if r == .TCR_EL2 { return GuestEL2Regime.el1TCR(v) }
        if r == .SCTLR_EL2 { return GuestEL2Regime.el1SCTLR(v) }
        return v
    }

    /// Loads the EL2 regime (el2's values) into Unicorn's EL1 registers.
    func loadGuestEL2Regime() {
        for (el1, el2r) in GuestEL2Regime.regimePairs { engine.write(SystemRegisterID(el1), regimeValue(el2r)) }
        engine.write(SystemRegisterID(.CPACR_EL1), unicornCPACR())   // EL2's FP/SIMD access is CPTR_EL2's
        regimeChanged()
    }

    /// Unicorn's CPACR_EL1 for the code that runs: EL2 code's FP/SIMD access is
    /// CPTR_EL2's (enabled here; TFP is `guestFPAccessCheck`'s), its guest's its own.
    func unicornCPACR() -> UInt64 {
        guard let g = ownEL2, !g.el1IsEL2 else { return CPACR.FPEN }
        return g.el1Registers[.CPACR_EL1] ?? 0
    }

    /// Before an FP/SIMD instruction (a code hook: Unicorn 2.1 raises no trap
    /// for CPACR_EL1.FPEN either): with CPTR_EL2.TFP set by non-VHE EL2 code,
    /// its guest's access is taken to its EL2 with EC 0x07, as KVM's lazy FP
    /// switch expects. Its own CPACR_EL1.FPEN would trap first, at EL1, which
    /// is not modelled; EL2 code's own FP/SIMD with TFP set stops the run.
    func guestFPAccessCheck(_ g: GuestOwnedEL2, pc: UInt64) {
        guard g.regime.split, !el2.hcr.contains(.E2H), el2.cptr & CPTR.TFP.rawValue != 0 else { return }
        guard !g.el1IsEL2 else {
            unsupportedAtEL2("FP/SIMD by EL2 code with its CPTR_EL2.TFP set (pc 0x\(String(pc, radix: 16)))")
            return
        }
        let fpen = (g.el1Registers[.CPACR_EL1] ?? 0) >> 20 & 3
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        guard fpen == 3 || fpen == 1 && el == 1 else {
            unsupportedAtEL2("FP/SIMD its guest's own CPACR_EL1.FPEN traps (pc 0x\(String(pc, radix: 16)))")
            return
        }
        g.regime.pending = .trap(.fpAccess, elr: pc)
        engine.stop()
    }

    /// Saves what EL2 code left in Unicorn's EL1 registers (TCR/SCTLR_EL2 are held as written).
    func saveGuestEL2Regime() {
        for (el1, el2r) in GuestEL2Regime.regimePairs where el2r != .TCR_EL2 && el2r != .SCTLR_EL2 {
            el2[el2r] = engine.read(SystemRegisterID(el1)) ?? 0
        }
    }

    /// Unicorn's translation regime changed under it: flush its TLB, rebuild its cached flags.
    func regimeChanged() {
        for r in GuestEL2Regime.swappedEL1 { forgetEL1(r) }
        known.stage1Dirty = true
        syncStage1Regime()
        engine.translateByHook(runsGuestNonVHEEL2Regime && guestMMUEnabled)
        _ = engine.rebuildCachedFlags()
    }

    /// Non-VHE EL2 code runs with its own regime in Unicorn's EL1 registers.
    var runsGuestNonVHEEL2Regime: Bool {
        guard let g = ownEL2, g.el1IsEL2, g.regime.split else { return false }
        return !el2.hcr.contains(.E2H)
    }

    /// A TLB fill for non-VHE EL2 code with its MMU on (Unicorn 2.1). QEMU's
    /// EL1&0 walk would make a page with AP[1] = 1 (RES1 in EL2's one-range
    /// regime) EL0-writable and so never executable at EL1 (get_S1prot): the
    /// model's walk of the same tables gives the page EL2's permissions
    /// (AP[2], XN) instead. A fault stops Unicorn at the access; the run loop
    /// takes its abort at EL2 (`stage1Fault`).
    func guestEL2RegimeTLBFill(_ va: UInt64, _ access: MemoryAccess) -> (pa: UInt64, perms: MemoryPermissions)? {
        let kinds: [(MemoryAccessKind, MemoryPermissions)] = [(.read, .read), (.write, .write), (.fetch, .exec)]
        let asked: MemoryAccessKind = access == .write ? .write : access == .fetch ? .fetch : .read
        // Unicorn looks up the page of `start`'s end address as it stops, and stops with an
        // error if that fails. No code runs there (EL2's one range never maps it): left unmapped.
        if va == Engine.until & ~0x3FF { return (va, .all) }
        guard case .ipa(let pa) = stage1Translate(va, asked, fillTables: false).0 else {
            faults.guestEL2RegimeFault = asked == .fetch
            return nil
        }
        var perms: MemoryPermissions = []
        for (k, p) in kinds where k == asked || stage1Translate(va, k, fillTables: false).0 == .ipa(pa) { perms.insert(p) }
        return (pa, perms)   // va is the start of QEMU's page (1 KiB on AArch64 TCG): its PA, unmasked
    }

    /// Unicorn's EL1 registers become the EL2 regime; what they held is the guest's EL1 state.
    /// Called while EL2 code runs (Unicorn's SP_EL1 already is SP_EL2).
    func splitGuestEL2Regime(_ g: GuestOwnedEL2) {
        guard !g.regime.split else { return }
        g.regime.split = true
        for r in GuestEL2Regime.swappedEL1 { g.el1Registers[r] = engine.read(SystemRegisterID(r)) ?? 0 }
        loadGuestEL2Regime()
    }

    /// An MRS/MSR by non-VHE EL2 code of a register the regime involves; nil when not one.
    func guestEL2RegimeAccess(_ g: GuestOwnedEL2, _ r: SystemRegister, isRead: Bool, _ v: UInt64, pc: UInt64,
                              _ done: (UInt64?, Bool) -> Bool) -> Bool? {
        // ICC_SRE_EL2: the CPU interface is system-register only (SRE, DFB, DIB and Enable read 1, writes ignored).
        if r == SystemRegister(3, 4, 12, 9, 5) { return done(isRead ? 0xF : nil, true) }
        // ICH_*_EL2: the virtual CPU interface el2emu's own hypervisor programs (one model), for its guest;
        // its maintenance interrupt is PPI 25 of the guest's GIC (highestPendingPhysical).
        if r.op1 == 4 && r.crn == 12 && r.crm >= 8 {
            if isRead { return done(vgic.read(r), true) }
            vgic.write(r, v)
            updateVirtualInterruptLines()
            return done(nil, true)
        }
        guard !el2.hcr.contains(.E2H), r.op0 == 3 else { return nil }
        // ISR_EL1 at EL2: the physical IRQ pending (I, bit 7), which Unicorn's EL1 would
        // show as virtual with IMO; what a hypervisor waiting with IRQs masked polls.
        if r == SystemRegister(3, 0, 12, 1, 0) && isRead { return done(highestPendingPhysical() != nil ? 1 << 7 : 0, false) }
        if r == .HCR_EL2 && !isRead && v & HCR.E2H.rawValue != 0 && g.regime.split {
            unsupportedAtEL2("HCR_EL2.E2H set by EL2 code that ran its own non-VHE regime (pc 0x\(String(pc, radix: 16)))")
            return true
        }
        if let pair = GuestEL2Regime.regimePairs.first(where: { $0.el2 == r }) {
            splitGuestEL2Regime(g)
            if isRead {
                let live = r == .TCR_EL2 || r == .SCTLR_EL2 ? el2[r] ?? 0 : engine.read(SystemRegisterID(pair.el1)) ?? 0
                return done(live, true)
            }
            el2[r] = r == .TCR_EL2 ? v & ~(UInt64.max << 32) : v   // TCR_EL2 is 32 bits
            engine.write(SystemRegisterID(pair.el1), regimeValue(r))
            if r == .TCR_EL2 || r == .SCTLR_EL2 || r == .TTBR0_EL2 { regimeChanged() }
            return done(nil, true)
        }
        if r == .SP_EL1 {
            splitGuestEL2Regime(g)
            if isRead { return done(g.el1Registers[r] ?? 0, true) }
            g.el1Registers[r] = v
            return done(nil, true)
        }
        if GuestEL2Regime.heldEL2.contains(r) {
            if isRead { return done(g.regime.held[r] ?? 0, true) }
            g.regime.held[r] = v
            return done(nil, true)
        }
        // The guest's own EL1 registers, while Unicorn's hold the regime: Unicorn has these encodings, so no PC step.
        if g.regime.split && r.op1 == 0 && GuestEL2Regime.swappedEL1.contains(r) {
            if isRead { return done(g.el1Registers[r] ?? 0, false) }
            g.el1Registers[r] = v
            return done(nil, false)
        }
        return nil
    }

    /// AT S1E1*/S1E0* from non-VHE EL2 code (KVM's __translate_far_to_hpfar):
    /// the model's stage-1 walk of its guest's EL1&0 regime (SCTLR/TCR/TTBR0_EL1
    /// as its guest left them; table reads through its stage 2), result in PAR_EL1.
    /// Cortex-A57 r1p0's erratum 834220 makes KVM use it on every guest abort.
    func guestStage1AddressTranslation(_ g: GuestOwnedEL2, _ r: SystemRegister, pc: UInt64) {
        engine.blockEndsAfterHook = true
        defer { engine.blockEndsAfterHook = false }
        let rt = Int((instructionWord(at: pc) ?? 31) & 31)
        let va = rt < 31 ? engine.read(Register.x(rt)) : 0
        let regs: [SystemRegister] = [.SCTLR_EL1, .TCR_EL1, .TTBR0_EL1]
        let saved = regs.map { engine.read(SystemRegisterID($0)) ?? 0 }
        for reg in regs { engine.write(SystemRegisterID(reg), g.el1Registers[reg] ?? 0) }
        g.el1IsEL2 = false   // the walk's table reads go through its stage 2
        let (result, _) = stage1Translate(va, r.op2 & 1 == 0 ? .read : .write, fillTables: false)
        g.el1IsEL2 = true
        for (reg, v) in zip(regs, saved) { engine.write(SystemRegisterID(reg), v) }
        let par: UInt64
        switch result {
        case .ipa(let pa):
            // PA; with its MMU off the access is Device-nGnRnE (ATTR 0), outer shareable (SH 0b10).
            // With it on, ATTR/SH are left 0: KVM reads only the PA (PAR_TO_HPFAR).
            let mmuOff = (g.el1Registers[.SCTLR_EL1] ?? 0) & SCTLR.M == 0
            par = pa & 0x0000_FFFF_FFFF_F000 | (mmuOff ? 2 << 7 : 0)
        case .fault(let f): par = 1 | UInt64(f.code & 0x3F) << 1
        case .walkFault(_, let f): par = 1 | UInt64(f.code & 0x3F) << 1 | 1 << 8 | 1 << 9   // PTW, S: stage 2 on the walk
        case .unsupported(let why): unsupportedAtEL2("AT S1E\(r.op2 < 2 ? 1 : 0) from EL2: \(why)"); return
        }
        engine.write(SystemRegisterID(.PAR_EL1), par)
        forgetEL1(.PAR_EL1)
        engine.write(.pc, pc &+ 4)
    }

    /// TLBI and AT with op1 = 4 (EL2's), from the guest's EL2 code: UNDEFINED at
    /// Unicorn's EL1, so served here. The TLBIs flush Unicorn's TLB (EL2's regime
    /// and its guest's share it); nil for anything else (Unicorn's own).
    func guestEL2SystemInstruction(_ g: GuestOwnedEL2, _ r: SystemRegister, pc: UInt64) -> Bool? {
        // AT S1E1R/W, S1E0R/W by non-VHE EL2 code: its guest's EL1&0 regime, not the one Unicorn runs.
        if r.op0 == 1 && r.op1 == 0 && r.crn == 7 && r.crm == 8 && r.op2 < 4 && runsGuestNonVHEEL2Regime && runsGuestEL2Code {
            guestStage1AddressTranslation(g, r, pc: pc)
            return true
        }
        guard runsGuestEL2Code, r.op0 == 1, r.op1 == 4 else { return nil }
        engine.blockEndsAfterHook = true
        defer { engine.blockEndsAfterHook = false }
        switch r.crn {
        case 8:
            engine.flushTLB()
            engine.write(.pc, pc &+ 4)
        default:
            unsupportedAtEL2("the EL2 system instruction S1_4_C\(r.crn)_C\(r.crm)_\(r.op2) (an AT S1E2/S12E1 or similar, pc 0x\(String(pc, radix: 16)))")
        }
        return true
    }
}
