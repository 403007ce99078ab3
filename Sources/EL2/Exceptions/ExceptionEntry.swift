import AArch64
import Unicorn

/// Exception entry to EL2, ERET, and exception entry to EL1 (Arm ARM D1.10).
extension Processor {
    /// Takes a synchronous exception from the guest to EL2: ESR_EL2, ELR_EL2
    /// (the preferred return address), SPSR_EL2 (the guest's PSTATE), FAR_EL2
    /// and HPFAR_EL2 where defined, then runs the EL2 software's vector.
    /// `resumePC` is where Unicorn continues if the software ERETs to it unchanged.
    func takeSynchronousToEL2(_ esr: ExceptionSyndrome, elr: UInt64, resumePC: UInt64, far: UInt64? = nil, hpfar: UInt64? = nil) {
        if let g = ownEL2 {
            // The guest owns EL2: its own vectors (GuestEL2WorldSwitch.swift).
            takeToGuestEL2(g, offset: 0x400, esr: esr, elr: elr, far: far, hpfar: hpfar)
            return
        }
        enterEL2(elr: elr, resumePC: resumePC)
        el2.esr = esr.raw
        if let far { el2.far = far }
        if let hpfar { el2.hpfar = hpfar }
        withSoftware { $0.synchronousFromLowerEL(self) }
        finishEL2()
    }

    /// Takes a physical IRQ to EL2 (HCR_EL2.IMO), at VBAR_EL2 + 0x480.
    func takeIRQToEL2() {
        if ownEL2 != nil { guestPhysicalInterruptCheck(); return }
        // The redistributor latches the interrupt it signalled: the host's world
        // switch may mask the timer before the handler acknowledges it.
        if let intid = highestPendingPhysical() { physical.pending |= 1 << UInt32(intid) }
        let pc = engine.read(.pc)
        enterEL2(elr: pc, resumePC: pc)
        withSoftware { $0.irqFromLowerEL(self) }
        finishEL2()
    }

    /// PSTATE and the PC as the exception found them, in one call (the GPRs
    /// stay in the PE until the software looks at them: `savedGPR`).
    func readEntryState() -> (pstate: UInt64, pc: UInt64) {
        engine.readPSTATEAndPC()
    }

    @inline(__always)
    private func enterEL2(elr: UInt64, resumePC: UInt64) {
        willPerform(.trapToEL2)
        count(.trapToEL2)
        // The walk that faulted, if one did, read its descriptors for this entry.
        if faults.walkStepsToBook > 0 { count(.stage2WalkStep, faults.walkStepsToBook); faults.walkStepsToBook = 0 }
        // Unless the HVC hook already read it (`entryPSTATE`).
        pstateAtEntry = entryPSTATE ?? readEntryState().pstate
        el2.spsr = pstateAtEntry
        el2.elr = elr
        naturalPC = resumePC
        known.el1Mask &= ~KnownRegisters.spMask   // the guest moved its SPs
        currentEL = 2
        gateDeferred = true
    }

    private func finishEL2() {
        gateDeferred = false
        if gateStale { updateGate() }
        if currentEL == 2 && !parked {
            // The software returned without ERET: that is a model bug, not a guest's.
            requestStop(.error("EL2 software returned from a vector without ERET"))
            currentEL = 1
        }
    }

    /// ERET from EL2: PSTATE from SPSR_EL2, PC from ELR_EL2. Only registers
    /// that change are written to Unicorn (a PC write restarts its translation loop).
    public func eret() {
        willPerform(.eret)
        count(.eret)
        gprsWillChange()
        flushEL1()
        known.el1Mask &= ~KnownRegisters.spMask
        let spsr = ProcessorState(raw: el2.spsr)
        let target = spsr.mode ?? .el1h
        currentEL = 1
        guard target.exceptionLevel <= 1, !spsr.isAArch32 else {
            // An illegal return (to EL2/EL3 or AArch32): PSTATE.IL, as the Arm ARM says, and stop.
            requestStop(.error("illegal exception return to SPSR_EL2 = 0x\(String(el2.spsr, radix: 16))"))
            return
        }
        if el2.spsr != pstateAtEntry {
            let old = ProcessorState(raw: pstateAtEntry).daif, new = spsr.daif
            setPSTATE(el2.spsr)
            if old != new { onEvent?(.daif(pc: el2.elr, old: old, new: new, cause: "ERET from EL2")) }
        }
        if el2.elr != naturalPC { engine.write(.pc, el2.elr) }
        updateSystemAccessFilter()
        syncTranslationRegime()
        syncStage1Regime()
        if interruptLinesStale { recomputeInterruptLines() }
        deliverPendingInterrupts(pstate: el2.spsr)
    }

    /// Exception entry to EL1 done by the hardware itself (an UNDEF, SVC or a
    /// virtual interrupt the guest takes): ELR/SPSR/ESR(/FAR)_EL1, PSTATE =
    /// EL1h with DAIF masked, PC = VBAR_EL1 + offset. Not an EL2 operation.
    func enterEL1(kind: UInt64, esr: ExceptionSyndrome?, returnPC: UInt64, far: UInt64? = nil) {
        let pstate = ProcessorState(raw: engine.read(.pstate))
        let toEL2 = ownEL2?.el1IsEL2 == true
        // Non-VHE EL2 code: Unicorn's EL1 registers must hold its regime (GuestEL2Regime.swift).
        if toEL2 && !el2.hcr.contains(.E2H), let g = ownEL2 { splitGuestEL2Regime(g) }
        let vbar = syncedEngine.read(SystemRegisterID(.VBAR_EL1)) ?? 0
        let vector = vbar &+ pstate.el1VectorOffset &+ kind
        forgetEL1(.ELR_EL1); forgetEL1(.SPSR_EL1); forgetEL1(.ESR_EL1); forgetEL1(.FAR_EL1)
        gprsWillChange()
        syncedEngine.write(SystemRegisterID(.ELR_EL1), returnPC)
        // PSTATE.SS is the model's (DebugRegisters.swift); entry clears it.
        syncedEngine.write(SystemRegisterID(.SPSR_EL1), recordedSPSR(pstate) | (debug.pstateSS ? SelfHostedDebug.spsrSS : 0))
        debug.pstateSS = false
        if let esr { syncedEngine.write(SystemRegisterID(.ESR_EL1), esr.raw) }
        if let far { syncedEngine.write(SystemRegisterID(.FAR_EL1), far) }
        setPSTATE(ProcessorState.entry(to: .el1h).raw)
        engine.write(.pc, vector)
        noteGuestExceptionEntry(vector: vector, from: returnPC)
        let kindName = (toEL2 ? "EL2 " : "") + ["sync", "irq", "fiq", "serror"][Int(kind >> 7) & 3]
        onEvent?(.guestException(pc: returnPC, vector: vector, kind: kindName, esr: esr))
        if pstate.daif != .all { onEvent?(.daif(pc: returnPC, old: pstate.daif, new: .all, cause: "exception entry (\(kindName))")) }
    }

    /// UNDEF at EL1: EC 0x00 to the guest's own vectors.
    func undefinedToEL1(pc: UInt64) {
        enterEL1(kind: 0, esr: .unknown, returnPC: pc)
    }

    public func requestStop(_ reason: StopReason) {
        if stopReason == nil { stopReason = reason }
        gate?.stopPending = true
        engine.stop()
    }
}
