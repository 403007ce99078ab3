/// Virtual time in CPU cycles: guest instructions (one cycle each) plus the
/// modelled cycles of every exit. Guest-visible counters derive from it, never
/// from host time, so a run is deterministic.
public struct VirtualClock: Sendable {
    /// Modelled CPU frequency (Cortex-A57 on AMD Seattle runs at 2 GHz).
    public var cpuHz: UInt64 = 2_000_000_000
    /// CNTFRQ_EL0: the generic counter's frequency (QEMU virt uses 62.5 MHz).
    public var counterHz: UInt64 = 62_500_000
    public private(set) var cycles: UInt64 = 0
    public private(set) var instructions: UInt64 = 0

    public init() {}

    @inline(__always)
    public mutating func retire(instructions n: UInt64) {
        instructions &+= n
        cycles &+= n
    }

    @inline(__always)
    public mutating func advance(cycles n: UInt64) { cycles &+= n }

    /// The physical count (CNTPCT_EL0) at the current time.
    public var counter: UInt64 { cyclesToTicks(cycles) }

    public func cyclesToTicks(_ c: UInt64) -> UInt64 {
        let ratio = cpuHz / counterHz
        return ratio == 0 ? c : c / ratio
    }

    public func ticksToCycles(_ t: UInt64) -> UInt64 {
        let ratio = cpuHz / counterHz
        let (v, o) = t.multipliedReportingOverflow(by: ratio == 0 ? 1 : ratio)
        return o ? UInt64.max : v
    }
}
