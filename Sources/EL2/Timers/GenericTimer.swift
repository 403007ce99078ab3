import AArch64

/// The generic timer: the virtual timer (CNTV_*, counting CNTVCT = CNTPCT -
/// CNTVOFF_EL2), the EL1 physical timer (CNTP_*) and the EL2 physical timer
/// (CNTHP_*, the host's tick), and the EL2 virtual timer (CNTHV_*, a guest
/// that owns EL2 under E2H: its count has no offset), on virtual time. CTL: ENABLE[0] IMASK[1]
/// ISTATUS[2] (read-only, computed).
public final class GenericTimer {
    public struct Channel: Sendable {
        public var ctl: UInt64 = 0
        public var cval: UInt64 = 0
        public var enabled: Bool { ctl & 1 != 0 }
        public var masked: Bool { ctl & 2 != 0 }
        /// The timer condition: enabled and the count has reached CVAL.
        public func condition(count: UInt64) -> Bool { enabled && count >= cval }
        /// Asserting its interrupt output: condition met and not masked.
        public func asserted(count: UInt64) -> Bool { condition(count: count) && !masked }
    }

    public var virtual = Channel()
    public var physical = Channel()
    public var hypervisor = Channel()
    public var hypervisorVirtual = Channel()
    /// PPI INTIDs (QEMU virt / GICv3 convention).
    public static let virtualPPI = 27
    public static let physicalPPI = 30
    public static let hypervisorPPI = 26
    public static let hypervisorVirtualPPI = 28

    public init() {}

    func virtualCount(_ clock: VirtualClock, _ cntvoff: UInt64) -> UInt64 { clock.counter &- cntvoff }

    /// The clock is read only where the value needs the count (syncing it has
    /// a cost a world switch's CVAL reads, and CTL reads of a disabled timer, need not pay).
    func read(_ r: SystemRegister, clock: @autoclosure () -> VirtualClock, cntvoff: UInt64) -> UInt64 {
        func pc() -> UInt64 { clock().counter }
        func vc() -> UInt64 { clock().counter &- cntvoff }
        func ctl(_ ch: Channel, _ count: () -> UInt64) -> UInt64 { ch.ctl & 3 | (ch.enabled && ch.condition(count: count()) ? 4 : 0) }
        switch r {
        case .CNTFRQ_EL0: return clock().counterHz
        case .CNTPCT_EL0: return pc()
        case .CNTVCT_EL0: return vc()
        case .CNTV_CTL_EL0: return ctl(virtual, vc)
        case .CNTV_CVAL_EL0: return virtual.cval
        case .CNTV_TVAL_EL0: return UInt64(UInt32(truncatingIfNeeded: virtual.cval &- vc()))
        case .CNTP_CTL_EL0: return ctl(physical, pc)
        case .CNTP_CVAL_EL0: return physical.cval
        case .CNTP_TVAL_EL0: return UInt64(UInt32(truncatingIfNeeded: physical.cval &- pc()))
        case .CNTHP_CTL_EL2: return ctl(hypervisor, pc)
        case .CNTHP_CVAL_EL2: return hypervisor.cval
        case .CNTHP_TVAL_EL2: return UInt64(UInt32(truncatingIfNeeded: hypervisor.cval &- pc()))
        case .CNTHV_CTL_EL2: return ctl(hypervisorVirtual, pc)
        case .CNTHV_CVAL_EL2: return hypervisorVirtual.cval
        case .CNTHV_TVAL_EL2: return UInt64(UInt32(truncatingIfNeeded: hypervisorVirtual.cval &- pc()))
        default: return 0
        }
    }

    /// `clock` is only asked for by a TVAL write (syncing the clock has a cost the
    /// world switch's CTL/CVAL writes need not pay).
    func write(_ r: SystemRegister, _ v: UInt64, clock: () -> VirtualClock, cntvoff: UInt64) {
        switch r {
        case .CNTV_CTL_EL0: virtual.ctl = v & 3
        case .CNTV_CVAL_EL0: virtual.cval = v
        // TVAL is a signed 32-bit offset from the current count.
        case .CNTV_TVAL_EL0: virtual.cval = virtualCount(clock(), cntvoff) &+ UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
        case .CNTP_CTL_EL0: physical.ctl = v & 3
        case .CNTP_CVAL_EL0: physical.cval = v
        case .CNTP_TVAL_EL0: physical.cval = clock().counter &+ UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
        case .CNTHP_CTL_EL2: hypervisor.ctl = v & 3
        case .CNTHP_CVAL_EL2: hypervisor.cval = v
        case .CNTHP_TVAL_EL2: hypervisor.cval = clock().counter &+ UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
        case .CNTHV_CTL_EL2: hypervisorVirtual.ctl = v & 3
        case .CNTHV_CVAL_EL2: hypervisorVirtual.cval = v
        case .CNTHV_TVAL_EL2: hypervisorVirtual.cval = clock().counter &+ UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
        default: break
        }
    }

    /// The virtual time (cycles) at which an enabled, unmasked channel next
    /// asserts its interrupt, if ever.
    /// A channel whose PPI is active in `activePPIs` is not signalled again until deactivated.
    func nextDeadline(clock: VirtualClock, cntvoff: UInt64, activePPIs: UInt32 = 0) -> UInt64? {
        var best: UInt64?
        func consider(_ ch: Channel, counterOffset: UInt64) {
            guard ch.enabled, !ch.masked else { return }
            best = min(best ?? .max, conditionTime(ch, counterOffset: counterOffset, clock: clock))
        }
        if activePPIs & (1 << UInt32(GenericTimer.virtualPPI)) == 0 { consider(virtual, counterOffset: cntvoff) }
        if activePPIs & (1 << UInt32(GenericTimer.physicalPPI)) == 0 { consider(physical, counterOffset: 0) }
        if activePPIs & (1 << UInt32(GenericTimer.hypervisorPPI)) == 0 { consider(hypervisor, counterOffset: 0) }
        if activePPIs & (1 << UInt32(GenericTimer.hypervisorVirtualPPI)) == 0 { consider(hypervisorVirtual, counterOffset: 0) }
        return best
    }

    /// The first virtual time after `now` at which an enabled channel's
    /// condition (ISTATUS) is met, masked or not, if any.
    func nextConditionMet(after now: UInt64, clock: VirtualClock, cntvoff: UInt64) -> UInt64? {
        var best: UInt64?
        for (ch, offset) in [(virtual, cntvoff), (physical, 0), (hypervisor, 0), (hypervisorVirtual, 0)] where ch.enabled {
            let t = conditionTime(ch, counterOffset: offset, clock: clock)
            if t > now { best = min(best ?? .max, t) }
        }
        return best
    }

    /// When (cycles) the count reaches the channel's CVAL.
    private func conditionTime(_ ch: Channel, counterOffset: UInt64, clock: VirtualClock) -> UInt64 {
        // cval is in the channel's count; physical count = cval + offset (wrapping).
        let physicalTicks = ch.cval &+ counterOffset
        return physicalTicks < ch.cval && counterOffset != 0 ? UInt64.max : clock.ticksToCycles(physicalTicks)
    }
}
