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
///
/// With E2H (from the start, or turned on after non-VHE code ran, as Linux's
/// `__finalise_el2` does: `enableVHE`) the layout is the hardware's own
/// redirection: Unicorn's EL1 registers of `EL2Registers.redirects` hold the
/// EL2 ones as they are (TCR_EL2 and SCTLR_EL2 have EL1's format then, CPTR_EL2
/// CPACR's), the *_EL12 aliases reach the guest's in `el1Registers`; a world
/// switch to its guest (E2H, TGE clear) swaps that set.
struct GuestEL2Regime {
    /// Unicorn's EL1 registers of `regimePairs` hold the EL2 regime while EL2 code runs.
    var split = false
    /// SP_EL2 while the guest's EL1 runs (Unicorn's SP_EL1 is SP_EL2 while EL2 code runs).
    var sp: UInt64 = 0
    /// EL2 registers with no effect on a guest that runs AArch64 only: held, read back.
    var held: [SystemRegister: UInt64] = [:]
    /// CPTR_EL2.TFP was set once: FP/SIMD instructions get code hooks (GuestEL2FeatureTraps.swift).
    var fpSitesHooked = false
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
    /// With E2H: every EL1 register an EL2 access redirects (a superset of `swappedEL1`).
    static let redirectedEL1: [SystemRegister] = EL2Registers.redirects.map(\.0)
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
        if el2.hcr.contains(.E2H) {
            for (el1, el2r) in EL2Registers.redirects { syncedEngine.write(SystemRegisterID(el1), el2[el2r] ?? 0) }
        } else {
            for (el1, el2r) in GuestEL2Regime.regimePairs { syncedEngine.write(SystemRegisterID(el1), regimeValue(el2r)) }
            syncedEngine.write(SystemRegisterID(.CPACR_EL1), 3 << 20)   // FPEN: EL2's FP/SIMD access is CPTR_EL2's
        }
        regimeChanged()
    }

    /// Saves what EL2 code left in Unicorn's EL1 registers (without E2H, TCR/SCTLR_EL2 are held as written).
    func saveGuestEL2Regime() {
        if el2.hcr.contains(.E2H) {
            for (el1, el2r) in EL2Registers.redirects { el2[el2r] = syncedEngine.read(SystemRegisterID(el1)) ?? 0 }
            return
        }
        for (el1, el2r) in GuestEL2Regime.regimePairs where el2r != .TCR_EL2 && el2r != .SCTLR_EL2 {
            el2[el2r] = syncedEngine.read(SystemRegisterID(el1)) ?? 0
        }
    }

    /// The guest's EL1 registers a world switch swaps with the EL2 regime (SP_EL1 aside).
    var guestEL1Swapped: [SystemRegister] {
        el2.hcr.contains(.E2H) ? GuestEL2Regime.redirectedEL1 : GuestEL2Regime.swappedEL1
    }

    /// HCR_EL2.E2H turned on (`hcr`) by EL2 code that ran its own non-VHE regime,
    /// on a CPU with VHE (Linux's `__finalise_el2`): Unicorn's EL1 registers move
    /// from the non-VHE layout to the E2H one (each EL2 register as it is: the bits
    /// TCR/SCTLR/CPTR_EL2 held now read in the EL1 format); the EL1 registers E2H
    /// redirects that stayed in Unicorn (TTBR1, CONTEXTIDR, CNTKCTL) join the guest's set.
    func enableVHE(_ g: GuestOwnedEL2, hcr: UInt64) {
        saveGuestEL2Regime()
        for r in GuestEL2Regime.redirectedEL1 where !GuestEL2Regime.swappedEL1.contains(r) {
            g.el1Registers[r] = syncedEngine.read(SystemRegisterID(r)) ?? 0
        }
        el2.hcr = HCR(rawValue: hcr)
        loadGuestEL2Regime()
    }

    /// Unicorn's translation regime changed under it: flush its TLB, rebuild its cached flags.
    func regimeChanged() {
        for r in GuestEL2Regime.redirectedEL1 { forgetEL1(r) }
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
        for r in GuestEL2Regime.swappedEL1 { g.el1Registers[r] = syncedEngine.read(SystemRegisterID(r)) ?? 0 }
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
        // SP_EL1 from EL2 (with E2H too): its guest's; Unicorn's SP_EL1 is SP_EL2 while EL2 code runs.
        if r == .SP_EL1 {
            if !el2.hcr.contains(.E2H) { splitGuestEL2Regime(g) }
            if isRead { return done(g.el1Registers[r] ?? 0, true) }
            g.el1Registers[r] = v
            return done(nil, true)
        }
        if GuestEL2Regime.heldEL2.contains(r) {
            if isRead { return done(g.regime.held[r] ?? 0, true) }
            g.regime.held[r] = v
            return done(nil, true)
        }
        // ISR_EL1 at EL2: the physical IRQ pending (I, bit 7), which Unicorn's EL1 would
        // show as virtual with IMO; what a hypervisor waiting with IRQs masked polls.
        if r == SystemRegister(3, 0, 12, 1, 0) && isRead { return done(highestPendingPhysical() != nil ? 1 << 7 : 0, false) }
        guard !el2.hcr.contains(.E2H), r.op0 == 3 else { return nil }
        if r == .HCR_EL2 && !isRead && v & HCR.E2H.rawValue != 0 && g.regime.split && g.offersVHE {
            enableVHE(g, hcr: v)
            return done(nil, true)
        }
        if let pair = GuestEL2Regime.regimePairs.first(where: { $0.el2 == r }) {
            splitGuestEL2Regime(g)
            if isRead {
                let live = r == .TCR_EL2 || r == .SCTLR_EL2 ? el2[r] ?? 0 : syncedEngine.read(SystemRegisterID(pair.el1)) ?? 0
                return done(live, true)
            }
            el2[r] = r == .TCR_EL2 ? v & ~(UInt64.max << 32) : v   // TCR_EL2 is 32 bits
            syncedEngine.write(SystemRegisterID(pair.el1), regimeValue(r))
            if r == .TCR_EL2 || r == .SCTLR_EL2 || r == .TTBR0_EL2 { regimeChanged() }
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

    /// TLBI and AT with op1 = 4 (EL2's), from the guest's EL2 code: UNDEFINED at
    /// Unicorn's EL1, so served here. The TLBIs flush Unicorn's TLB (EL2's regime
    /// and its guest's share it); the ATs (op1 = 0 too) walk the model's tables.
    /// Nil for anything else (Unicorn's own).
    func guestEL2SystemInstruction(_ g: GuestOwnedEL2, _ r: SystemRegister, rt: Register, pc: UInt64) -> Bool? {
        guard runsGuestEL2Code, r.op0 == 1 else { return nil }
        // AT of its own regime or its guest's (GuestEL2AddressTranslation.swift); Unicorn has the op1 = 0 forms.
        let va = rt.generalPurposeIndex.map { _ in engine.read(rt) } ?? 0
        if r.op1 == 0 { return guestEL2AddressTranslation(g, r, va: va) ? true : nil }
        guard r.op1 == 4 else { return nil }
        engine.blockEndsAfterHook = true
        defer { engine.blockEndsAfterHook = false }
        switch r.crn {
        case 8:
            engine.flushTLB()
            engine.write(.pc, pc &+ 4)
        case 7 where guestEL2AddressTranslation(g, r, va: va):
            engine.write(.pc, pc &+ 4)
        default:
            unsupportedAtEL2("the EL2 system instruction S1_4_C\(r.crn)_C\(r.crm)_\(r.op2) (an AT S1E2/S12E1 or similar, pc 0x\(String(pc, radix: 16)))")
        }
        return true
    }
}
