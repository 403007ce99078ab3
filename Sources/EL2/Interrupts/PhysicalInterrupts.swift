import AArch64

/// The physical interrupts that reach this PE from its own redistributor
/// while a guest runs: the generic timer PPIs (27 virtual, 30 EL1 physical),
/// the vGIC maintenance interrupt (PPI 25) and SGIs from other PEs (the
/// host's "kick" IPI). With HCR_EL2.IMO they are taken to EL2 at
/// VBAR_EL2 + 0x480. EL2 software acknowledges one with ICC_IAR1_EL1 (it
/// becomes active), drops its priority with ICC_EOIR1_EL1 (EOImode 1) and
/// deactivates it with ICC_DIR_EL1, or leaves the deactivation to the guest
/// through a list register with HW=1 (GICv3 architecture, 4.5 and 8.4).
/// An active interrupt is not signalled again: that is why a forwarded timer
/// PPI does not exit over and over while the guest is still handling it.
struct PhysicalRedistributor: Sendable {
    /// Bit n: SGI/PPI n pending (edge-like state: SGIs).
    var pending: UInt32 = 0
    /// Bit n: SGI/PPI n active.
    var active: UInt32 = 0
    /// Virtual time at which an SGI sent by another PE arrives (.max: none in flight).
    /// Kept with `nextArrival`, their minimum, which every exit asks for.
    var sgiArrival = [UInt64](repeating: .max, count: 16) { didSet { updateNextArrival() } }
    private(set) var nextArrival: UInt64 = .max
    /// The LPIs pending here (PhysicalLPIs.swift).
    var lpis = Set<Int>()
    /// The SPI lines routed here that are high, those that will rise by
    /// themselves at a virtual time, and the SPIs active here (PhysicalSPIs.swift).
    var spis = Set<Int>()
    var spiRise: [Int: UInt64] = [:] { didSet { updateNextArrival() } }
    var activeSPIs = Set<Int>()
    /// GICv2: bit n of SGI i's byte: pending from CPU n (GICC_IAR gives the source; GICCFrame.swift).
    var sgiSources = [UInt8](repeating: 0, count: 16)

    private mutating func updateNextArrival() {
        nextArrival = min(sgiArrival.min() ?? .max, spiRise.values.min() ?? .max)
    }

    static let maintenancePPI = 25
    static let spurious = 1023
}

extension Processor {
    /// The highest-priority physical interrupt this PE would take now, if any
    /// (all at one priority: the lowest INTID wins). Level-sensitive sources
    /// (the timers, maintenance) are sampled, not latched.
    func highestPendingPhysical(excluding excluded: UInt32 = 0) -> Int? {
        if physical.nextArrival <= clock.cycles {
            for i in 0..<16 where physical.sgiArrival[i] <= clock.cycles {
                physical.sgiArrival[i] = .max
                physical.pending |= 1 << UInt32(i)
            }
            for (intid, t) in physical.spiRise where t <= clock.cycles {
                physical.spiRise[intid] = nil
                physical.spis.insert(intid)
            }
        }
        var level: UInt32 = physical.pending
        let vc = timer.virtualCount(clock, el2.cntvoff)
        if timer.virtual.asserted(count: vc) { level |= 1 << UInt32(GenericTimer.virtualPPI) }
        if timer.physical.asserted(count: clock.counter) { level |= 1 << UInt32(GenericTimer.physicalPPI) }
        if timer.hypervisor.asserted(count: clock.counter) { level |= 1 << UInt32(GenericTimer.hypervisorPPI) }
        if timer.hypervisorVirtual.asserted(count: clock.counter) { level |= 1 << UInt32(GenericTimer.hypervisorVirtualPPI) }
        if pmu.interruptAsserted { level |= 1 << UInt32(PerformanceMonitors.interruptID) }
        if vgic.hcr & ICH_HCR.En != 0 && vgic.misr != 0 { level |= 1 << UInt32(PhysicalRedistributor.maintenancePPI) }
        if let g = ownEL2 { return guestSignalled(g, level & ~physical.active & ~excluded) }
        let candidates = level & ~physical.active & ~excluded
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }

    /// A physical SGI from another PE (the host's IPI), sent at virtual time
    /// `time`: it is pending here once this PE's clock has reached that time.
    public func raisePhysicalSGI(_ intid: Int, at time: UInt64, from source: Int? = nil) {
        guard (0..<16).contains(intid) else { return }
        if let source, (0..<8).contains(source) { physical.sgiSources[intid] |= 1 << UInt8(source) }
        physical.sgiArrival[intid] = min(physical.sgiArrival[intid], time)
        updateVirtualInterruptLines()
    }

    /// Drops an SGI in flight or pending: it reaches the host while the vCPU
    /// is switched out, and the host needs nothing from it (a kick to a vCPU
    /// that has blocked meanwhile).
    public func clearPhysicalSGI(_ intid: Int) {
        guard (0..<16).contains(intid) else { return }
        physical.sgiArrival[intid] = .max
        physical.pending &= ~(1 << UInt32(intid))
        updateVirtualInterruptLines()
    }

    /// The next physical interrupt for the guest that will reach this PE on
    /// its own, if any: when (cycles) and what (a timer PPI, an SGI in flight).
    /// The host's own tick (PPI 26) is left out: it wakes nothing the guest waits for.
    public var nextPhysicalEvent: (time: UInt64, what: String)? {
        if let g = ownEL2 { return guestNextPhysicalEvent(g) }
        if highestPendingPhysical(excluding: 1 << UInt32(GenericTimer.hypervisorPPI)) != nil { return (clock.cycles, "physical interrupt pending") }
        var best: (time: UInt64, what: String)?
        // The text is built only for the event chosen: the scheduler asks on every slice.
        func consider(_ t: UInt64?, _ what: @autoclosure () -> String) {
            guard let t, t != .max, best == nil || t < best!.time else { return }
            best = (t, what())
        }
        consider(timer.nextDeadline(clock: clock, cntvoff: el2.cntvoff, activePPIs: physical.active | 1 << UInt32(GenericTimer.physicalPPI) | 1 << UInt32(GenericTimer.hypervisorPPI)), "virtual timer (PPI 27)")
        consider(timer.nextDeadline(clock: clock, cntvoff: el2.cntvoff, activePPIs: physical.active | 1 << UInt32(GenericTimer.virtualPPI) | 1 << UInt32(GenericTimer.hypervisorPPI)), "physical timer (PPI 30)")
        for i in 0..<16 { consider(physical.sgiArrival[i], "physical SGI \(i) (kick)") }
        return best
    }

    /// Is a physical interrupt waiting for this PE (the guest would exit now)?
    public var physicalInterruptPending: Bool { highestPendingPhysical() != nil }

    /// Sets a PPI's active state in the redistributor directly
    /// (GICR_ISACTIVER0/ICACTIVER0), as KVM does when it loads a vCPU whose
    /// forwarded timer interrupt is still being handled by the guest.
    public func setPhysicalActive(_ intid: Int, _ active: Bool) {
        guard (0..<32).contains(intid) else { return }
        count(.redistributorWrite)
        if active { physical.active |= 1 << UInt32(intid) } else { physical.active &= ~(1 << UInt32(intid)) }
        updateVirtualInterruptLines()
    }

    public func isPhysicalActive(_ intid: Int) -> Bool {
        (0..<32).contains(intid) && physical.active & (1 << UInt32(intid)) != 0
    }

    /// ICC_IAR1_EL1 at EL2: acknowledge the highest pending physical interrupt.
    func acknowledgePhysical() -> UInt64 {
        guard let intid = highestPendingPhysical() else { return UInt64(PhysicalRedistributor.spurious) }
        physical.pending &= ~(1 << UInt32(intid))
        physical.active |= 1 << UInt32(intid)
        updateVirtualInterruptLines()
        return UInt64(intid)
    }

    /// Deactivation of a physical interrupt (ICC_DIR_EL1 at EL2, ICC_EOIR1_EL1
    /// with EOImode 0, or the guest deactivating a HW=1 list register).
    func deactivatePhysical(_ intid: Int) {
        if intid >= 32 { physical.activeSPIs.remove(intid); updateVirtualInterruptLines(); return }
        guard intid >= 0 else { return }
        physical.active &= ~(1 << UInt32(intid))
        updateVirtualInterruptLines()
    }

    /// The host's view of its own CPU interface (ICC_* accessed at EL2).
    func physicalCPUInterfaceRead(_ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICC_IAR1_EL1: return acknowledgePhysical()
        case .ICC_HPPIR1_EL1: return UInt64(highestPendingPhysical() ?? PhysicalRedistributor.spurious)
        case .ICC_CTLR_EL1: return 0x2 | (4 << 8)   // EOImode 1, as KVM's host runs with it
        case .ICC_SRE_EL1: return 0x7
        default: return 0
        }
    }

    func physicalCPUInterfaceWrite(_ r: SystemRegister, _ v: UInt64) {
        switch r {
        case .ICC_DIR_EL1: deactivatePhysical(Int(truncatingIfNeeded: v & 0xFF_FFFF))
        default: break   // EOIR1 with EOImode 1 only drops the running priority
        }
    }
}
