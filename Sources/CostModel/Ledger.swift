/// Per-kind totals, like kvm_stat.
public struct ExitStatistics: Sendable {
    public var count = 0
    public var cycles: UInt64 = 0
    public var phaseCycles = [UInt64](repeating: 0, count: Phase.allCases.count)
    public var counts = OperationCounts()
}

/// The ledger: every exit's operations, priced by one cost profile, with
/// totals by exit kind (a small number the hypervisor chooses, `kinds` names).
public final class Ledger {
    public let profile: CostProfile
    public private(set) var exits = 0
    public private(set) var totalCycles: UInt64 = 0

    /// The name of each kind, by its number.
    public let kinds: [String]
    // The totals by kind live in fixed buffers indexed by the kind's number:
    // the exit path adds to them with no hashing, copying or checks.
    private static var phases: Int { OperationCounts.phases }
    /// Per count cell (phase * width + operation): its operation's price and its phase,
    /// so that pricing a cell takes no division.
    private let cellPrice: UnsafeMutablePointer<Int>
    private let cellPhase: UnsafeMutablePointer<Int>
    private let kindCounts: UnsafeMutablePointer<Int>          // [kind][OperationCounts.size]
    private let kindExits: UnsafeMutablePointer<Int>
    private let kindCycles: UnsafeMutablePointer<UInt64>
    /// The last exit's cycles per phase (for its record).
    private let phaseScratch: UnsafeMutablePointer<UInt64>

    public init(profile: CostProfile, kinds: [String]) {
        self.profile = profile
        self.kinds = kinds
        kindExits = .allocate(capacity: kinds.count)
        kindExits.initialize(repeating: 0, count: kinds.count)
        kindCycles = .allocate(capacity: kinds.count)
        kindCycles.initialize(repeating: 0, count: kinds.count)
        cellPrice = .allocate(capacity: OperationCounts.size)
        cellPhase = .allocate(capacity: OperationCounts.size)
        for cell in 0..<OperationCounts.size {
            let o = cell % OperationCounts.width
            cellPrice[cell] = o < profile.cyclesPerOperation.count ? max(0, profile.cyclesPerOperation[o]) : 0
            cellPhase[cell] = cell / OperationCounts.width
        }
        kindCounts = .allocate(capacity: kinds.count * OperationCounts.size)
        kindCounts.initialize(repeating: 0, count: kinds.count * OperationCounts.size)
        phaseScratch = .allocate(capacity: Ledger.phases)
        phaseScratch.initialize(repeating: 0, count: Ledger.phases)
    }

    deinit {
        cellPrice.deallocate(); cellPhase.deallocate(); kindCounts.deallocate(); phaseScratch.deallocate()
        kindExits.deallocate(); kindCycles.deallocate()
    }

    /// The totals by kind name, like kvm_stat's rows.
    public var byKind: [String: ExitStatistics] {
        var d: [String: ExitStatistics] = [:]
        for code in kinds.indices where kindExits[code] > 0 {
            var s = ExitStatistics()
            s.count = kindExits[code]
            s.cycles = kindCycles[code]
            // Each cell's price is fixed, so its phase's cycles are its total count times it.
            for cell in 0..<OperationCounts.size {
                s.phaseCycles[cellPhase[cell]] &+= cycles(cell, kindCounts[code * OperationCounts.size + cell])
            }
            s.counts = OperationCounts(UnsafeBufferPointer(start: kindCounts + code * OperationCounts.size, count: OperationCounts.size))
            d[kinds[code]] = s
        }
        return d
    }

    /// Prices one exit's counts (laid out as `OperationCounts.table`), draining
    /// them, and adds them to the totals; returns its cycles. Its cycles per
    /// phase (`lastPhases`) are kept only when `keepingPhases` (someone traces).
    public func account(kind k: Int, counts: CountsView, keepingPhases: Bool = true) -> UInt64 {
        let sums = kindCounts + k &* OperationCounts.size
        var total: UInt64 = 0
        // Two loops, not a test per cell: the untraced exit is the hot one.
        if keepingPhases {
            phaseScratch.update(repeating: 0, count: Ledger.phases)
            counts.drain { cell, n in
                sums[cell] &+= n
                let c = cycles(cell, n)
                phaseScratch[cellPhase[cell]] &+= c
                total &+= c
            }
        } else {
            counts.drain { cell, n in sums[cell] &+= n; total &+= cycles(cell, n) }
        }
        exits &+= 1
        kindExits[k] &+= 1
        kindCycles[k] &+= total
        totalCycles &+= total
        return total
    }

    /// `n` operations of `cell` at its price (neither is negative: counts only grow, prices are clamped at 0).
    @inline(__always)
    private func cycles(_ cell: Int, _ n: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: n &* cellPrice[cell])
    }

    /// The last exit's cycles per phase (Phase.rawValue order), if it was priced `keepingPhases`.
    public var lastPhaseCycles: [UInt64] { Array(lastPhases) }
    /// The same, in place (valid until the next exit is priced).
    public var lastPhases: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: phaseScratch, count: Ledger.phases) }

    /// `lastPhaseCycles` into `a`, in place while `a` is held nowhere else (no array made per exit).
    public func copyLastPhaseCycles(into a: inout [UInt64]) {
        if a.count != Ledger.phases { a = Array(repeating: 0, count: Ledger.phases) }
        a.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: phaseScratch, count: Ledger.phases) }
    }
}
