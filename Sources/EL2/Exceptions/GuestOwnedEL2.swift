import AArch64
import Unicorn

/// Entry at EL2 (`--entry-el 2`): the guest starts at EL2 and owns it, as under
/// `qemu-system-aarch64 -M virt,virtualization=on`; no el2emu hypervisor runs.
/// The model plays the EL2 hardware for the guest's own EL2 code and hands SMC
/// to the EL3 firmware (`secureMonitorCall`). It covers:
///
/// - VHE host (ID_AA64MMFR1_EL1.VH = 1, HCR_EL2 = E2H|TGE|RW): EL2 with E2H and
///   TGE behaves like EL1 with the *_EL1 encodings redirected to *_EL2, so the
///   guest's EL2 code runs in Unicorn at EL1, Unicorn's EL1 registers playing
///   the EL2 ones, and its EL0 code at EL0 (the EL2&0 regime). CurrentEL reads
///   EL2; exceptions record EL2h/EL2t in SPSR and are taken at VBAR_EL2 (which
///   is Unicorn's VBAR_EL1); CNTV_*/CNTP_* reach CNTHV/CNTHP (PPIs 28/26); the
///   ICC_* registers are the physical CPU interface.
/// - Non-VHE EL2 code (E2H = 0): its own VBAR/SCTLR/TCR/TTBR0/MAIR_EL2 regime
///   and a guest of its own at EL1/EL0, with the traps its HCR_EL2 asks for
///   its own stage 2, and the ICH_* virtual CPU interface for it
///   (GuestEL2Regime.swift, GuestEL2WorldSwitch.swift);
///   kvm-unit-tests' init_el (an ERET to EL1 that never comes back) is the simplest case.
///
/// The *_EL12/*_EL02 registers, from a VHE host, reach the real EL1
/// registers: nothing runs at EL1 while TGE is set, so they are stored here
/// until an ERET to its guest loads them; CNTV_*_EL02/CNTP_*_EL02 reach the EL1 timers (PPIs 27/30).
/// A VHE host's own guest (E2H, TGE clear) and VHE turned on after non-VHE
/// EL2 code ran (Linux's `__finalise_el2`) share the world switch of
/// GuestEL2WorldSwitch.swift. What a guest does beyond this (FP traps of its
/// guest with E2H, E2H cleared once set) stops the run with a message naming it.
public final class GuestOwnedEL2 {
    /// Does ID_AA64MMFR1_EL1.VH read 1 (the VHE path)?
    public let offersVHE: Bool
    /// The PE's own MIDR and MPIDR (EL2 reads these, not VPIDR/VMPIDR). A Cortex-A57
    /// has no VHE: with VH = 1 the MIDR is QEMU `-cpu max`'s, as Linux's KVM would
    /// otherwise take the A57's Spectre-v3a idmapped vectors, which a VHE kernel refuses (BUG).
    let midr: UInt64
    let mpidr: UInt64
    /// Unicorn's EL1 runs the guest's EL2 code (and its EL0 the EL2&0 regime's EL0).
    public internal(set) var el1IsEL2 = true
    /// The EL1 registers as *_EL12 reach them from a VHE host, and the guest
    /// hypervisor's guest's while its non-VHE EL2 code runs (GuestEL2Regime.swift).
    var el1Registers: [SystemRegister: UInt64] = [:]
    /// Non-VHE EL2 code's own regime (GuestEL2Regime.swift).
    var regime = GuestEL2Regime()
    /// The exit its EL2 code is handling, until its ERET back (GuestEL2ExitSpan.swift).
    var openExit: GuestEL2Exit?
    /// The EL3 firmware: an SMC that does not trap to EL2 lands here (PC already past it).
    public var secureMonitorCall: ((Processor) -> Void)?
    /// The distributor's and redistributor's say on an SGI/PPI of this PE:
    /// enabled (with its group) and its priority.
    public var distributor: ((Int) -> (enabled: Bool, priority: UInt8))?

    // The physical GICv3 CPU interface (ICC_*), one security state, Group 1.
    var pmr: UInt64 = 0
    var groupEnabled = false
    var eoiMode = false
    var bpr1: UInt64 = 0
    /// Acknowledged interrupts whose priority is not yet dropped (ICC_EOIR1), innermost last.
    var runningPriorities: [(intid: Int, priority: UInt8)] = []

    public init(offersVHE: Bool, mpidr: UInt64) {
        self.offersVHE = offersVHE
        self.midr = offersVHE ? 0x000F_0510 : 0x411F_D070
        self.mpidr = mpidr
    }
}

extension Processor {
    /// Starts this PE at EL2h (DAIF masked, MMU off) at `pc` with `x0`: the guest owns EL2.
    public func beginGuestAtEL2(_ g: GuestOwnedEL2, pc: UInt64, x0: UInt64) {
        ownEL2 = g
        currentEL = 1
        g.el1IsEL2 = true
        el2 = EL2Registers()
        el2.hcr = []          // HCR_EL2 resets to 0 (as QEMU does): the guest programs it
        el2.vpidr = g.midr
        el2.vmpidr = g.mpidr
        el2.cnthctl = CNTHCTL.EL1PCTEN | CNTHCTL.EL1PCEN
        setBootState(pc: pc, pstate: .el1hMasked, x0: x0)
        flushEL1()
        known.el1Mask = 0
        syncTranslationRegime()
        syncStage1Regime()
        // Without VHE its EL2 code never runs with E2H: its own regime from the start (GuestEL2Regime.swift).
        if !g.offersVHE { splitGuestEL2Regime(g) }
        recomputeInterruptLines()
    }

    /// The guest owns EL2 and its EL2 code is what Unicorn runs at EL1 now.
    var runsGuestEL2Code: Bool {
        guard let g = ownEL2, g.el1IsEL2 else { return false }
        return ProcessorState(raw: engine.read(.pstate)).exceptionLevel == 1
    }

    /// The EL2&0 regime of a VHE host (E2H and TGE), at EL2 or EL0.
    var inHostRegime: Bool {
        guard let g = ownEL2, g.el1IsEL2 else { return false }
        return el2.hcr.contains(.E2H) && el2.hcr.contains(.TGE)
    }

    func unsupportedAtEL2(_ what: String) {
        requestStop(.error("entry at EL2: \(what) is not supported (el2emu models a VHE host that stays at EL2, and non-VHE EL2 code with a guest of its own)"))
    }

    // MARK: MRS/MSR

    /// An MRS/MSR while the guest owns EL2: nil when the ordinary path applies.
    func guestEL2Access(_ g: GuestOwnedEL2, _ r: SystemRegister, _ rt: Register, _ n: Int, _ value: UInt64, isRead: Bool, pc: UInt64) -> Bool? {
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        let atEL2 = g.el1IsEL2 && el == 1
        func done(_ v: UInt64? = nil, step: Bool) -> Bool {
            if isRead, let v, n < 31 { gprsWillChange(); engine.write(rt, v) }
            if step { engine.write(.pc, pc &+ 4) }
            return true
        }
        let write = n < 31 ? value : 0
        if atEL2 && g.openExit != nil { noteGuestEL2RegisterAccess(g, r, isRead: isRead) }
        if r == .CURRENTEL && isRead && el >= 1 { return done(atEL2 ? 8 : UInt64(el) << 2, step: false) }
        if isRead && el >= 1 && (r == .ID_AA64PFR0_EL1 || r == .ID_AA64MMFR1_EL1) {
            var v = syncedEngine.read(SystemRegisterID(r)) ?? 0
            if r == .ID_AA64PFR0_EL1 {
                if (v >> 8) & 0xF == 0 { v |= 1 << 8 }                                   // EL2 implemented, AArch64
            } else {
                v = v & ~(0xF << 8) | (g.offersVHE ? 1 << 8 : 0)                          // VH
            }
            return done(v, step: false)
        }
        if atEL2 && isRead && r == .MIDR_EL1 { return done(g.midr, step: false) }
        if atEL2 && isRead && r == .MPIDR_EL1 { return done(g.mpidr, step: false) }
        // The timers in the EL2&0 regime: CNTV_* is the EL2 virtual timer, CNTP_* the EL2 physical one.
        // With E2H at EL2 (TGE or not), at EL0 only under TGE. CRm 8-15: the PMU's.
        if r.op0 == 3 && r.op1 == 3 && r.crn == 14 && r.crm < 8 && g.el1IsEL2 && el2.hcr.contains(.E2H) && (el == 1 || el2.hcr.contains(.TGE)) {
            var t = r
            if r.crm == 2 { t = SystemRegister(3, 4, 14, 2, r.op2) }
            if r.crm == 3 { t = SystemRegister(3, 4, 14, 3, r.op2) }
            if r == .CNTVCT_EL0 && el2.hcr.contains(.TGE) { t = .CNTPCT_EL0 }   // no virtual offset with E2H and TGE
            spinWaitIfPolling(r, isRead: isRead, pc: pc)
            return timerAccess(t, by: r, isRead: isRead, write, done)
        }
        let isICC = r.op0 == 3 && r.op1 == 0 && r.crn == 12 && r.crm >= 8 || r == .ICC_PMR_EL1
        if isICC && el >= 1 && (atEL2 || !el2.hcr.contains(.IMO)) {
            return physicalICCAccess(g, r, isRead: isRead, write, pc: pc, done)
        }
        // Non-VHE EL2 code's own regime and its guest's EL1 registers (GuestEL2Regime.swift).
        if atEL2, let handled = guestEL2RegimeAccess(g, r, isRead: isRead, write, pc: pc, done) { return handled }
        guard atEL2, r.op0 == 3 else { return nil }
        switch r.op1 {
        case 4: return el2RegisterAccess(g, r, isRead: isRead, write, pc: pc, done)
        case 5:
            guard el2.hcr.contains(.E2H) else { return nil }   // UNDEFINED without E2H
            if r.crn == 14 && (r.crm == 2 || r.crm == 3) {
                return timerAccess(SystemRegister(3, 3, 14, r.crm, r.op2), by: r, isRead: isRead, write, done)
            }
            if isRead { return done(g.el1Registers[SystemRegister(3, 0, r.crn, r.crm, r.op2)] ?? 0, step: true) }
            g.el1Registers[SystemRegister(3, 0, r.crn, r.crm, r.op2)] = write
            return done(step: true)
        default: return nil
        }
    }

    private func spinWaitIfPolling(_ r: SystemRegister, isRead: Bool, pc: UInt64) {
        if isRead { spinWaitPoll(at: pc) }
    }

    /// Timer register `t` reached by an MRS/MSR of `r`. Only an encoding
    /// Unicorn's EL1 lacks (op1 4 or 5: its UNDEF ends the block) needs the
    /// PC stepped; a skipped CNTV_*/CNTP_* goes on by itself.
    private func timerAccess(_ t: SystemRegister, by r: SystemRegister, isRead: Bool, _ v: UInt64, _ done: (UInt64?, Bool) -> Bool) -> Bool {
        let step = r.op1 == 4 || r.op1 == 5
        if isRead { return done(timer.read(t, clock: clock, cntvoff: el2.cntvoff), step) }
        timer.write(t, v, clock: { clock }, cntvoff: el2.cntvoff)
        updateVirtualInterruptLines()
        return done(nil, step)
    }

    /// An *_EL2 encoding (op1 = 4) from the guest's EL2 code.
    private func el2RegisterAccess(_ g: GuestOwnedEL2, _ r: SystemRegister, isRead: Bool, _ v: UInt64, pc: UInt64,
                                   _ done: (UInt64?, Bool) -> Bool) -> Bool {
        let e2h = el2.hcr.contains(.E2H)
        if r.crn == 14 && (r.crm == 2 || r.crm == 3) {
            if !isRead { timer.write(r, v, clock: { clock }, cntvoff: el2.cntvoff); updateVirtualInterruptLines(); return done(nil, true) }
            return done(timer.read(r, clock: clock, cntvoff: el2.cntvoff), true)
        }
        // With E2H the *_EL2 registers that have an EL1 counterpart are the ones Unicorn's EL1 holds.
        if e2h, let el1 = EL2Registers.redirects.first(where: { $0.1 == r })?.0 {
            if isRead { return done(syncedEngine.read(SystemRegisterID(el1)) ?? 0, true) }
            syncedEngine.write(SystemRegisterID(el1), v)
            return done(nil, true)
        }
        guard let slot = Optional(Int(EL2Registers.slotTable[EL2Registers.key(r)])), slot >= 0 else {
            unsupportedAtEL2("the EL2 register \(r) (pc 0x\(String(pc, radix: 16)))")
            return true
        }
        if isRead { return done(el2.values[slot], true) }
        if r == .HCR_EL2 {
            let hcr = HCR(rawValue: v)
            if hcr.contains(.E2H) && !g.offersVHE {
                unsupportedAtEL2("HCR_EL2.E2H = 1 while ID_AA64MMFR1_EL1.VH reads 0")
                return true
            }
            if hcr.contains(.TGE) && !hcr.contains(.E2H) || e2h && !hcr.contains(.E2H) {
                unsupportedAtEL2("HCR_EL2 = 0x\(String(v, radix: 16)) (TGE without E2H, or E2H cleared once set)")
                return true
            }
        }
        el2.values[slot] = v
        if r == .CPTR_EL2 { guestCPTRChanged(g) }
        return done(nil, true)
    }

    // MARK: The physical GIC CPU interface

    private func physicalICCAccess(_ g: GuestOwnedEL2, _ r: SystemRegister, isRead: Bool, _ v: UInt64, pc: UInt64,
                                   _ done: (UInt64?, Bool) -> Bool) -> Bool {
        if isRead { return done(physicalICCRead(g, r), true) }
        physicalICCWrite(g, r, v)
        if pendingInterruptKind(for: ProcessorState(raw: engine.read(.pstate)).daif) != nil {
            deliverPendingInterrupts(returnPC: pc &+ 4)
            return true
        }
        return done(nil, true)
    }

    /// The physical CPU interface's registers, by their ICC_* names (also the GICv2 GICC frame's, GICCFrame.swift).
    func physicalICCRead(_ g: GuestOwnedEL2, _ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICC_IAR1_EL1: return acknowledgeGuestPhysical(g)
        case .ICC_HPPIR1_EL1: return UInt64(highestPendingPhysical() ?? PhysicalRedistributor.spurious)
        case .ICC_PMR_EL1: return g.pmr
        case .ICC_CTLR_EL1: return (g.eoiMode ? 2 : 0) | 4 << 8 | 1 << 15   // PRIbits 5, A3V (bit 15; 14 is SEIS)
        case .ICC_SRE_EL1: return 0x7
        case .ICC_IGRPEN1_EL1: return g.groupEnabled ? 1 : 0
        case .ICC_BPR1_EL1: return g.bpr1
        case SystemRegister(3, 0, 12, 11, 3):   // ICC_RPR_EL1
            return UInt64(g.runningPriorities.last?.priority ?? 0xFF)
        default: return 0
        }
    }

    func physicalICCWrite(_ g: GuestOwnedEL2, _ r: SystemRegister, _ v: UInt64) {
        switch r {
        case .ICC_EOIR1_EL1:
            let intid = Int(truncatingIfNeeded: v & 0xFF_FFFF)
            if let i = g.runningPriorities.lastIndex(where: { $0.intid == intid }) { g.runningPriorities.remove(at: i) }
            if !g.eoiMode { deactivatePhysical(intid) }
        case .ICC_DIR_EL1: deactivatePhysical(Int(truncatingIfNeeded: v & 0xFF_FFFF))
        case .ICC_PMR_EL1: g.pmr = v & 0xFF
        case .ICC_CTLR_EL1: g.eoiMode = v & 2 != 0
        case .ICC_IGRPEN1_EL1: g.groupEnabled = v & 1 != 0
        case .ICC_BPR1_EL1: g.bpr1 = v & 7
        case .ICC_SGI1R_EL1: sendPhysicalSGI(v)
        default: break
        }
        updateVirtualInterruptLines()
    }

    /// ICC_IAR1_EL1: the highest-priority signalled interrupt becomes active; its priority the running one.
    private func acknowledgeGuestPhysical(_ g: GuestOwnedEL2) -> UInt64 {
        guard let intid = highestPendingPhysical() else { return UInt64(PhysicalRedistributor.spurious) }
        physical.pending &= ~(1 << UInt32(intid))
        physical.active |= 1 << UInt32(intid)
        physical.lpis.remove(intid)   // an LPI has no active state: acknowledged, it is just no longer pending
        if intid >= 32 && intid < 1020 { physical.activeSPIs.insert(intid) }
        g.runningPriorities.append((intid, g.distributor?(intid).priority ?? 0))
        updateVirtualInterruptLines()
        return UInt64(intid)
    }

    /// ICC_SGI1R_EL1: every PE has Aff0 = its index, Aff1-3 = 0.
    private func sendPhysicalSGI(_ v: UInt64) {
        let sgi = SGI1R(v)
        let now = clock.cycles
        for pe in innerShareablePeers() where sgi.targets(aff0: UInt64(pe.index), isSender: pe === self) {
            pe.raisePhysicalSGI(sgi.intid, at: now)
        }
        yieldPE()   // let the targets run before this PE goes further in virtual time
    }

    /// Filters physical interrupt candidates through the guest's GIC: enabled,
    /// Group 1 enabled, priority above PMR and the running priority.
    func guestSignalled(_ g: GuestOwnedEL2, _ candidates: UInt32) -> Int? {
        guard g.groupEnabled, candidates != 0 || !physical.lpis.isEmpty || !physical.spis.isEmpty else { return nil }
        let running = g.runningPriorities.map { UInt64($0.priority) }.min() ?? 0x100
        var best: (intid: Int, priority: UInt8)?
        // Equal priorities: the lowest INTID.
        func consider(_ intid: Int) {
            guard let d = g.distributor?(intid), d.enabled, UInt64(d.priority) < g.pmr, UInt64(d.priority) < running else { return }
            if best == nil || (d.priority, intid) < (best!.priority, best!.intid) { best = (intid, d.priority) }
        }
        var bits = candidates
        while bits != 0 {
            consider(bits.trailingZeroBitCount)
            bits &= bits - 1
        }
        for intid in physical.lpis { consider(intid) }
        if !physical.spis.isEmpty { for intid in signallableSPIs { consider(intid) } }
        return best?.intid
    }

    /// The PPIs whose timer deadline cannot signal anything now (disabled in the GIC).
    func guestSilencedPPIs(_ g: GuestOwnedEL2) -> UInt32 {
        var mask: UInt32 = 0
        for ppi in [GenericTimer.hypervisorPPI, GenericTimer.virtualPPI, GenericTimer.hypervisorVirtualPPI, GenericTimer.physicalPPI]
            where g.distributor?(ppi).enabled != true { mask |= 1 << UInt32(ppi) }
        return mask
    }

    /// A physical IRQ is signalled while the guest owns EL2: taken at the
    /// guest's current EL (its EL2 vectors under TGE, EL1's with IMO clear) unless PSTATE.I masks it.
    func guestPhysicalInterruptCheck() {
        guard highestPendingPhysical() != nil else { recomputeInterruptLines(); return }
        let pstate = ProcessorState(raw: engine.read(.pstate))
        if el2.hcr.contains(.IMO) && !runsGuestEL2Code && !inHostRegime, let g = ownEL2 {
            // Routed to the guest's EL2 whatever PSTATE.I (GuestEL2WorldSwitch.swift).
            takeToGuestEL2(g, offset: 0x480, esr: nil, elr: engine.read(.pc))
            return
        }
        guard !pstate.daif.contains(.i), physicalIRQTakenHere else { interruptDeadline = .max; return }
        enterEL1(kind: 0x80, esr: nil, returnPC: engine.read(.pc))
    }

    /// When the next physical interrupt can reach this PE while the guest owns EL2.
    func guestNextPhysicalEvent(_ g: GuestOwnedEL2) -> (time: UInt64, what: String)? {
        if highestPendingPhysical() != nil { return (clock.cycles, "physical interrupt pending") }
        var best: (time: UInt64, what: String)?
        if let t = timer.nextDeadline(clock: clock, cntvoff: el2.cntvoff, activePPIs: physical.active | guestSilencedPPIs(g)) { best = (t, "timer") }
        for i in 0..<16 where physical.sgiArrival[i] != .max && (best == nil || physical.sgiArrival[i] < best!.time) {
            best = (physical.sgiArrival[i], "SGI \(i)")
        }
        if let s = nextPhysicalSPIRise(g), best == nil || s.time < best!.time { best = s }
        return best
    }

    /// GICR_ISPENDR0's view: latched SGIs and asserted timer lines (enabled or not).
    public var physicalPendingBits: UInt32 {
        var bits = physical.pending
        let vc = timer.virtualCount(clock, el2.cntvoff)
        if timer.virtual.asserted(count: vc) { bits |= 1 << UInt32(GenericTimer.virtualPPI) }
        if timer.physical.asserted(count: clock.counter) { bits |= 1 << UInt32(GenericTimer.physicalPPI) }
        if timer.hypervisor.asserted(count: clock.counter) { bits |= 1 << UInt32(GenericTimer.hypervisorPPI) }
        if timer.hypervisorVirtual.asserted(count: clock.counter) { bits |= 1 << UInt32(GenericTimer.hypervisorVirtualPPI) }
        return bits
    }

    public var physicalActiveBits: UInt32 { physical.active }

    /// GICR_ISPENDR0 / ICPENDR0 on this PE's redistributor.
    public func setPhysicalPending(_ bits: UInt32, _ pending: Bool) {
        if pending { physical.pending |= bits } else { physical.pending &= ~bits }
        updateVirtualInterruptLines()
    }

    /// The distributor or redistributor changed what may be signalled (enables, groups, priorities).
    public func physicalGICChanged() { updateVirtualInterruptLines() }

    // MARK: Exceptions and ERET

    /// SPSR as an exception entry records it: Unicorn's EL1 is EL2 (EL1h -> EL2h, EL1t -> EL2t).
    func recordedSPSR(_ p: ProcessorState) -> UInt64 {
        guard let g = ownEL2, g.el1IsEL2, p.exceptionLevel == 1 else { return p.raw }
        return p.raw & ~0xF | 0b1000 | (p.raw & 1)
    }

    /// The guest's ERET while it owns EL2. True when the model performed it;
    /// false when Unicorn's own ERET (at EL1) does (possibly after SPSR_EL1 was rewritten).
    func guestEL2ERET(_ g: GuestOwnedEL2, _ pc: UInt64) -> Bool {
        guard runsGuestEL2Code else { return false }
        if el2.hcr.contains(.E2H) {
            let raw = syncedEngine.read(SystemRegisterID(.SPSR_EL1)) ?? 0
            let spsr = ProcessorState(raw: raw)
            switch spsr.mode {
            case .el2h?, .el2t?:
                guard !spsr.isAArch32 else { break }
                syncedEngine.write(SystemRegisterID(.SPSR_EL1), raw & ~0xF | 0b0100 | (raw & 1))
                forgetEL1(.SPSR_EL1)
                return false
            case .el0t? where el2.hcr.contains(.TGE): return false   // its own EL0 (EL2&0 regime)
            case .el1h?, .el1t?, .el0t?:
                // Its guest (TGE clear): the world switch (GuestEL2WorldSwitch.swift).
                if !el2.hcr.contains(.TGE) { return guestNonVHEERET(g, pc) }
            default: break
            }
            unsupportedAtEL2("an ERET from the VHE host to SPSR_EL2 = 0x\(String(raw, radix: 16)) (with HCR_EL2.TGE set)")
            return true
        }
        return guestNonVHEERET(g, pc)   // GuestEL2WorldSwitch.swift
    }

    /// SMC while the guest owns EL2: to EL3 (the firmware) unless HCR_EL2.TSC traps it from EL1.
    func guestSMC(_ g: GuestOwnedEL2, pc: UInt64, imm: UInt16) {
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        if el == 0 { undefinedToEL1(pc: pc &- 4); return }
        if el2.hcr.contains(.TSC) && !runsGuestEL2Code {
            // A trapped SMC returns to the SMC itself (GuestEL2WorldSwitch.swift).
            takeToGuestEL2(g, offset: 0x400, esr: .smc(imm16: imm), elr: pc &- 4)
            return
        }
        g.secureMonitorCall?(self)
    }

    /// HVC while the guest owns EL2: from its EL2 code (with E2H) it is taken to EL2 itself.
    func guestHVC(_ g: GuestOwnedEL2, pc: UInt64, imm: UInt16) {
        guard runsGuestEL2Code else {
            takeToGuestEL2(g, offset: 0x400, esr: .hvc(imm16: imm), elr: pc)   // GuestEL2WorldSwitch.swift
            return
        }
        enterEL1(kind: 0, esr: .hvc(imm16: imm), returnPC: pc)
    }
}
