import AArch64
import Unicorn

/// The guest hypervisor's own guest at EL1/EL0 (`--entry-el 2`, non-VHE EL2, or
/// VHE with TGE clear as KVM's VHE world switch runs it):
/// its ERET to EL1 and the exceptions that bring its guest back to its EL2.
/// Unicorn's one EL1 runs both, so each direction swaps the registers of the
/// EL2 regime (GuestEL2Regime.swift) with the guest's EL1 ones, as hardware
/// keeps both sets. Exceptions carry the syndromes el2emu's own hypervisor
/// path builds (`takeSynchronousToEL2` callers, `ExceptionSyndrome`).
extension Processor {
    /// ERET by EL2 code (non-VHE, or with E2H to its guest: TGE clear). True when the model
    /// performed it; false when Unicorn's own ERET (at EL1) does, after SPSR_EL1 was rewritten (EL2 to EL2).
    func guestNonVHEERET(_ g: GuestOwnedEL2, _ pc: UInt64) -> Bool {
        let e2h = el2.hcr.contains(.E2H)
        if !e2h { splitGuestEL2Regime(g) }
        let raw = syncedEngine.read(SystemRegisterID(.SPSR_EL1)) ?? 0
        let elr = syncedEngine.read(SystemRegisterID(.ELR_EL1)) ?? 0
        let spsr = ProcessorState(raw: raw)
        guard !spsr.isAArch32, let mode = spsr.mode else {
            unsupportedAtEL2("an ERET from EL2 to SPSR_EL2 = 0x\(String(raw, radix: 16)) (AArch32 or a reserved mode)")
            return true
        }
        if mode == .el2h || mode == .el2t {
            syncedEngine.write(SystemRegisterID(.SPSR_EL1), raw & ~0xF | 0b0100 | (raw & 1))
            forgetEL1(.SPSR_EL1)
            return false
        }
        guard el2.hcr.contains(.RW) else {
            unsupportedAtEL2("an ERET to AArch32 EL1 (HCR_EL2.RW = 0)")
            return true
        }
        // With E2H, CPTR_EL2 has CPACR's layout (Unicorn's CPACR_EL1 holds it): FPEN's trap of
        // its guest is modelled (GuestEL2FeatureTraps.swift; its FP/SIMD instructions are hooked
        // from now on); TTA has nothing to trap on a PE without trace System registers
        // (ID_AA64DFR0_EL1.TraceVer = 0: they are UNDEFINED first), and is not modelled on one with them.
        if e2h {
            let cptr = syncedEngine.read(SystemRegisterID(.CPACR_EL1)) ?? 0
            let traceVer = (syncedEngine.read(SystemRegisterID(.ID_AA64DFR0_EL1)) ?? 0) >> 4 & 0xF
            if cptr >> 28 & 1 != 0 && traceVer != 0 {
                unsupportedAtEL2("CPTR_EL2.TTA (trace register traps of its guest, with E2H) at the ERET to EL1 (pc 0x\(String(pc, radix: 16)))")
                return true
            }
            if cptr >> 20 & 1 == 0 { hookGuestFPSites(g) }   // stopped below
        }
        // Performed by the run loop once Unicorn has stopped here (see `takePendingGuestEL2Switch`).
        g.regime.pending = .eret(spsr: raw, elr: elr, pc: pc)
        engine.stop()
        return true
    }

    /// The ERET from EL2 to its guest at EL1/EL0 (SPSR_EL2 `raw`), at `pc`.
    func switchToGuestEL1(_ g: GuestOwnedEL2, spsr raw: UInt64, elr: UInt64, pc: UInt64) {
        let spsr = ProcessorState(raw: raw)
        let old = ProcessorState(raw: engine.read(.pstate)).daif
        // The EL2 set out, the guest's EL1 set in.
        saveGuestEL2Regime()
        g.regime.sp = readBankedSP(.SP_EL1)
        for r in guestEL1Swapped { syncedEngine.write(SystemRegisterID(r), g.el1Registers[r] ?? 0) }
        g.el1IsEL2 = false
        setPSTATE(raw)
        writeBankedSP(.SP_EL1, g.el1Registers[.SP_EL1] ?? 0)
        engine.write(.pc, elr)
        regimeChanged()
        syncTranslationRegime()   // its stage 2 (VTTBR/VTCR_EL2) if HCR_EL2.VM
        instrumentAhead(elr)
        gprsWillChange()
        closeGuestEL2Exit(g)
        onEvent?(.daif(pc: pc, old: old, new: spsr.daif, cause: "ERET from EL2 to \(spsr.mode.map { "\($0)" } ?? "?")"))
        recomputeInterruptLines()
        if el2.hcr.contains(.IMO) && highestPendingPhysical() != nil {
            takeToGuestEL2(g, offset: 0x480, esr: nil, elr: elr)
        } else {
            deliverPendingInterrupts(returnPC: elr)
        }
    }

    /// The code at `pc`, where a world switch sends the PC, up to the end of
    /// its page, gets its hooks before Unicorn translates it (read through
    /// both stages: Unicorn's map is still empty). Left to the block hook,
    /// the block's restart with its new hooks was seen to run without them
    /// right after a switch to the guest's stage 2 (a trapped MRS then ran untrapped).
    func instrumentAhead(_ pc: UInt64) {
        let count = Int(4096 - (pc & 0xFFF))
        guard let p = guestHostPointer(pc, .fetch) else { return }
        let bytes = Array(UnsafeRawBufferPointer(start: p, count: count))
        if instrument(pc, bytes: bytes) { engine.removeTranslations(begin: pc, end: pc &+ UInt64(count)) }
    }

    /// An exception from the guest hypervisor's guest (EL1/EL0) to its EL2,
    /// at VBAR_EL2 + `offset` (lower EL, AArch64: 0x400 sync, 0x480 IRQ), with
    /// ESR/ELR/SPSR/FAR/HPFAR_EL2 as given: the EL1 set out, the EL2 regime in.
    func takeToGuestEL2(_ g: GuestOwnedEL2, offset: UInt64, esr: ExceptionSyndrome?, elr: UInt64, far: UInt64? = nil, hpfar: UInt64? = nil) {
        if g.el1IsEL2, let esr, esr.ec == .instructionAbortLowerEL || esr.ec == .dataAbortLowerEL {
            // EL2 code's own stage-1 walk read outside memory (no stage 2 below EL2): taken at EL2.
            enterEL1(kind: 0, esr: ExceptionSyndrome(raw: esr.raw | 1 << 26), returnPC: elr, far: far)
            return
        }
        guard g.regime.split || el2.hcr.contains(.E2H), !g.el1IsEL2 else {
            unsupportedAtEL2("an exception to EL2 from a lower EL that never ran under non-VHE EL2 (pc 0x\(String(elr, radix: 16)))")
            return
        }
        let pstate = ProcessorState(raw: engine.read(.pstate))
        for r in guestEL1Swapped { g.el1Registers[r] = syncedEngine.read(SystemRegisterID(r)) ?? 0 }
        g.el1Registers[.SP_EL1] = readBankedSP(.SP_EL1)
        if let esr { el2.esr = esr.raw }
        if let far { el2.far = far }
        if let hpfar { el2.hpfar = hpfar }
        el2.elr = elr
        el2.spsr = pstate.raw | (debug.pstateSS ? SelfHostedDebug.spsrSS : 0)
        debug.pstateSS = false
        g.el1IsEL2 = true
        setPSTATE(ProcessorState.entry(to: .el1h).raw)   // EL2h, as Unicorn's EL1h
        writeBankedSP(.SP_EL1, g.regime.sp)
        syncTranslationRegime()   // no stage 2 below EL2
        loadGuestEL2Regime()
        let vector = el2.vbar &+ offset
        engine.write(.pc, vector)
        gprsWillChange()
        noteGuestExceptionEntry(vector: vector, from: elr)
        let kind = offset & 0x180 == 0 ? "EL2 sync" : "EL2 irq"
        onEvent?(.guestException(pc: elr, vector: vector, kind: kind, esr: esr))
        openGuestEL2Exit(g, kind: kind, esr: esr, elr: elr, far: far, hpfar: hpfar)
        if pstate.daif != .all { onEvent?(.daif(pc: elr, old: pstate.daif, new: .all, cause: "exception entry (\(kind))")) }
    }
}

/// HCR_EL2's (and MDCR/CNTHCTL_EL2's) system register traps of the guest
/// hypervisor's guest. Found by a code hook before the instruction (a PC write
/// from Unicorn's MRS/MSR hook does not end its block when Unicorn has the
/// register, so the instructions after it would run before the exception),
/// which stops Unicorn there; the run loop takes the exception.
///
/// Both world switches found in code hooks (these traps, the ERET to EL1) are
/// performed by the run loop: one performed inside the hook remaps Unicorn's
/// memory (stage 2 on or off) under the running block, after which a block
/// that gained hooks was seen to restart without them.
extension Processor {
    /// Can `trapsToEL2`/`systemInstructionTrapsToEL2` ever take this instruction?
    /// Asked of those rules themselves with every trap on. Only such sites get a
    /// code hook: Unicorn looks through every code hook at each hooked
    /// instruction, so hooking every EL1 register access (Linux's SP_EL0 and
    /// TPIDR_EL1 reads) made Linux at EL2 4x slower.
    func mayTrapToGuestEL2(_ insn: Instruction) -> Bool {
        let saved = (el2.hcr, el2.mdcr, el2.cnthctl, el2.cptr)
        defer { (el2.hcr, el2.mdcr, el2.cnthctl, el2.cptr) = saved }
        el2.hcr = [.TVM, .TRVM, .TID1, .TID2, .TID3, .TACR, .TIDCP, .IMO, .FMO, .TTLB, .TSW, .TPCP, .TPU]
        el2.mdcr = MDCR.TDE | MDCR.TDA | MDCR.TDOSA
        el2.cnthctl = 0
        el2.cptr = CPTR.TCPAC.rawValue
        switch insn {
        case .systemRegister(let r, _, _): return trapsToEL2(r, isRead: true) || trapsToEL2(r, isRead: false)
        case .system(let r, _): return systemInstructionTrapsToEL2(r)
        default: return false
        }
    }

    /// Before such an instruction: if its guest (EL1/EL0) runs and HCR_EL2 traps it, to the guest's EL2.
    func guestEL1TrapCheck(_ g: GuestOwnedEL2, _ insn: Instruction, pc: UInt64) {
        guard !g.el1IsEL2 else { return }
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        switch insn {
        case .systemRegister(let r, let rt, let isRead):
            // An EL1 register is UNDEFINED at EL0 before any trap (Unicorn raises that).
            guard r.op1 == 3 || el != 0, trapsToEL2(r, isRead: isRead) else { return }
            g.regime.pending = .trap(.sys64(r, rt: rt, isRead: isRead), elr: pc)
        case .system(let r, let rt):
            guard el != 0 || cacheMaintenanceAllowedAtEL0(r), systemInstructionTrapsToEL2(r) else { return }
            g.regime.pending = .trap(.sys64(r, rt: rt, isRead: false), elr: pc)
        default:
            return
        }
        engine.stop()
    }

    /// The run loop, once Unicorn has stopped: the world switch a code hook found. False if none.
    func takePendingGuestEL2Switch() -> Bool {
        guard let g = ownEL2, let p = g.regime.pending else { return false }
        g.regime.pending = nil
        switch p {
        case .trap(let esr, let elr): takeToGuestEL2(g, offset: 0x400, esr: esr, elr: elr)
        case .eret(let spsr, let elr, let pc): switchToGuestEL1(g, spsr: spsr, elr: elr, pc: pc)
        }
        return true
    }
}
