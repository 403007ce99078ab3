import AArch64
import Unicorn

/// The virtual interrupt lines to EL1 and their delivery: a pending virtual
/// IRQ (HCR_EL2.VI, or a pending list register) is taken when HCR_EL2.IMO is
/// set, the guest runs at EL1/EL0 and PSTATE.I is clear. It is checked where
/// the mask can change (DAIF writes, ERETs) and where something becomes pending.
extension Processor {
    /// Is a virtual IRQ signalled to EL1?
    public var virtualIRQLine: Bool {
        el2.hcr.contains(.IMO) && (el2.hcr.contains(.VI) || vgic.irqPending)
    }

    var virtualFIQLine: Bool { el2.hcr.contains(.FMO) && el2.hcr.contains(.VF) }

    /// A virtual SError (HCR_EL2.VSE with AMO), masked by PSTATE.A.
    var virtualSErrorLine: Bool { el2.hcr.contains(.AMO) && el2.hcr.contains(.VSE) }

    /// Recomputes when a physical interrupt next reaches this PE after a
    /// timer, GIC or HCR change: now (0) if one is pending, else the timer deadline.
    /// While EL2 software runs, the lines are recomputed once, when it leaves
    /// EL2 (ERET or parking the PE), not after each register it writes.
    @inlinable
    func updateVirtualInterruptLines() {
        if currentEL == 2 { interruptLinesStale = true; return }
        recomputeInterruptLines()
    }

    @usableFromInline
    func recomputeInterruptLines() {
        interruptLinesStale = false
        if let g = ownEL2 {
            interruptDeadline = highestPendingPhysical() != nil ? 0
                : min(timer.nextDeadline(clock: clock, cntvoff: el2.cntvoff, activePPIs: physical.active | guestSilencedPPIs(g)) ?? .max, physical.nextArrival)
            return
        }
        if physical.pending & ~physical.active != 0 || (vgic.hcr & ICH_HCR.En != 0 && vgic.misr != 0 && !isPhysicalActive(PhysicalRedistributor.maintenancePPI)) {
            interruptDeadline = 0
        } else {
            interruptDeadline = min(timer.nextDeadline(clock: clock, cntvoff: el2.cntvoff, activePPIs: physical.active) ?? .max, physical.nextArrival)
        }
    }

    /// A DAIF write by the guest at `pc`. If it unmasks a pending virtual
    /// interrupt, the model performs the write and takes the interrupt right
    /// after the instruction, as the architecture orders it. Returns whether
    /// it unmasks one (`takeNow` false: the caller has it taken).
    @discardableResult
    func daifWrite(_ pc: UInt64, _ transform: (InterruptMask) -> InterruptMask, _ cause: String, takeNow: Bool = true) -> Bool {
        var pstate = ProcessorState(raw: engine.read(.pstate))
        let old = pstate.daif, new = transform(old)
        if old != new { onEvent?(.daif(pc: pc, old: old, new: new, cause: cause)) }
        guard pendingInterruptKind(for: new) != nil else { return false }
        guard takeNow else { return true }
        pstate.daif = new
        setPSTATE(pstate.raw)
        deliverPendingInterrupts(returnPC: pc &+ 4)
        return true
    }

    /// The guest's own ERET at EL1: PSTATE from SPSR_EL1, PC from ELR_EL1.
    func guestERET(_ pc: UInt64) {
        if let g = ownEL2, guestEL2ERET(g, pc) { return }
        let spsr = ProcessorState(raw: syncedEngine.read(SystemRegisterID(.SPSR_EL1)) ?? 0)
        let elr = syncedEngine.read(SystemRegisterID(.ELR_EL1)) ?? 0
        let old = ProcessorState(raw: engine.read(.pstate)).daif
        if old != spsr.daif { onEvent?(.daif(pc: pc, old: old, new: spsr.daif, cause: "ERET")) }
        if spsr.exceptionLevel <= 1, !spsr.isAArch32, pendingInterruptKind(for: spsr.daif) != nil {
            setPSTATE(spsr.raw)
            deliverPendingInterrupts(returnPC: elr)
        }
    }

    /// The vector offset (0x80 IRQ, 0x100 FIQ) of an interrupt that PSTATE
    /// with mask `daif` would take now, if any.
    func pendingInterruptKind(for daif: InterruptMask) -> UInt64? {
        guard currentEL == 1 else { return nil }
        if ownEL2 != nil {
            // The guest owns EL2 (GuestEL2Regime.swift): virtual interrupts reach its guest only, never its EL2 code.
            if !daif.contains(.i) && highestPendingPhysical() != nil && physicalIRQTakenHere { return 0x80 }
            if runsGuestEL2Code { return nil }
        }
        if virtualSErrorLine && !daif.contains(.a) { return 0x180 }
        if virtualFIQLine && !daif.contains(.f) { return 0x100 }
        if virtualIRQLine && !daif.contains(.i) { return 0x80 }
        return nil
    }

    /// Takes a pending, unmasked virtual interrupt now, returning to `returnPC`.
    /// `pstate`: what Unicorn's PSTATE holds, when the caller knows it.
    func deliverPendingInterrupts(returnPC: UInt64? = nil, pstate known: UInt64? = nil) {
        let pstate = ProcessorState(raw: known ?? engine.read(.pstate))
        guard let kind = pendingInterruptKind(for: pstate.daif) else { return }
        let ret = returnPC ?? (currentEL == 1 && el2.elr == naturalPC ? naturalPC : engine.read(.pc))
        if kind == 0x180 {
            // Taking the virtual SError clears HCR_EL2.VSE; ESR_EL1 is an SError
            // syndrome (uncategorized: no RAS, so no VSESR_EL2).
            el2.hcr.remove(.VSE)
            enterEL1(kind: kind, esr: ExceptionSyndrome(ec: .serror, iss: 0), returnPC: ret)
            return
        }
        enterEL1(kind: kind, esr: nil, returnPC: ret)
    }

    /// A physical interrupt may be pending (the timer deadline passed, an SGI
    /// arrived): with IMO it is taken to EL2 (KVM then injects the virtual one).
    func physicalInterruptCheck() {
        if ownEL2 != nil { guestPhysicalInterruptCheck(); return }
        guard highestPendingPhysical() != nil else {
            updateVirtualInterruptLines()
            return
        }
        if el2.hcr.contains(.IMO) && currentEL == 1 {
            takeIRQToEL2()
        } else {
            interruptDeadline = .max   // not routed to EL2: nothing in this model takes it
        }
    }
}
