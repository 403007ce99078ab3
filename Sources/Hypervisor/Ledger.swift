import AArch64
import EL2

/// One exit: why it happened, what the hypervisor did (operation counts by
/// phase) and what that cost under the profile.
public struct ExitRecord: Sendable {
    public var sequence: Int
    public var vcpu: Int
    /// Virtual time (cycles) when the exit was taken.
    public var time: UInt64
    public var pc: UInt64
    public var esr: ExceptionSyndrome?
    /// The exit kind: the EC name ("HVC64", "SYS64", "DABT_LOW", "WFx") or "IRQ".
    public var kind: String
    /// What the handler did, e.g. "HVC PSCI_VERSION" or "SYS64 MSR SCTLR_EL1, x3".
    public var detail: String
    public var counts: OperationCounts
    /// Modelled cycles per phase (Phase.rawValue order).
    public var phaseCycles: [UInt64]
    /// For stage-2 aborts (DABT_LOW/IABT_LOW): the faulting IPA (HPFAR_EL2 and FAR_EL2).
    public var ipa: UInt64?
    /// Where the exit's ERET returned the guest to (nil when the run stopped in the exit).
    public var returnPC: UInt64?
    public var cycles: UInt64 { phaseCycles.reduce(0, &+) }
}

/// Per-kind totals, like kvm_stat.
public struct ExitStatistics: Sendable {
    public var count = 0
    public var cycles: UInt64 = 0
    public var phaseCycles = [UInt64](repeating: 0, count: Phase.allCases.count)
    public var counts = OperationCounts()
}

/// The ledger: every exit's operations, priced by one cost profile.
public final class Ledger {
    public let profile: CostProfile
    public private(set) var exits = 0
    public private(set) var totalCycles: UInt64 = 0

    // The totals by kind live in fixed buffers indexed by `ExitKind.code`:
    // the exit path adds to them with no hashing, copying or checks.
    private static var phases: Int { OperationCounts.phases }
    /// Per count cell (phase * width + operation): its operation's price and its phase,
    /// so that pricing a cell takes no division.
    private let cellPrice: UnsafeMutablePointer<Int>
    private let cellPhase: UnsafeMutablePointer<Int>
    private let kindCounts: UnsafeMutablePointer<Int>          // [kind][OperationCounts.size]
    private let kindPhaseCycles: UnsafeMutablePointer<UInt64>  // [kind][phase]
    private var kindExits = [Int](repeating: 0, count: ExitKind.count)
    private var kindCycles = [UInt64](repeating: 0, count: ExitKind.count)
    /// The last exit's cycles per phase (for its record).
    private let phaseScratch: UnsafeMutablePointer<UInt64>

    init(profile: CostProfile) {
        self.profile = profile
        cellPrice = .allocate(capacity: OperationCounts.size)
        cellPhase = .allocate(capacity: OperationCounts.size)
        for cell in 0..<OperationCounts.size {
            let o = cell % OperationCounts.width
            cellPrice[cell] = o < profile.cyclesPerOperation.count ? max(0, profile.cyclesPerOperation[o]) : 0
            cellPhase[cell] = cell / OperationCounts.width
        }
        kindCounts = .allocate(capacity: ExitKind.count * OperationCounts.size)
        kindCounts.initialize(repeating: 0, count: ExitKind.count * OperationCounts.size)
        kindPhaseCycles = .allocate(capacity: ExitKind.count * Ledger.phases)
        kindPhaseCycles.initialize(repeating: 0, count: ExitKind.count * Ledger.phases)
        phaseScratch = .allocate(capacity: Ledger.phases)
        phaseScratch.initialize(repeating: 0, count: Ledger.phases)
    }

    deinit {
        cellPrice.deallocate(); cellPhase.deallocate(); kindCounts.deallocate(); kindPhaseCycles.deallocate(); phaseScratch.deallocate()
    }

    /// The totals by kind name, like kvm_stat's rows.
    public var byKind: [String: ExitStatistics] {
        var d: [String: ExitStatistics] = [:]
        for code in 0..<ExitKind.count where kindExits[code] > 0 {
            var s = ExitStatistics()
            s.count = kindExits[code]
            s.cycles = kindCycles[code]
            s.phaseCycles = Array(UnsafeBufferPointer(start: kindPhaseCycles + code * Ledger.phases, count: Ledger.phases))
            s.counts = OperationCounts(UnsafeBufferPointer(start: kindCounts + code * OperationCounts.size, count: OperationCounts.size))
            d[ExitKind(code: code).name] = s
        }
        return d
    }

    /// Prices one exit's counts (laid out as `OperationCounts.table`), draining
    /// them, and adds them to the totals; returns its cycles. The per-exit record is only
    /// built when someone traces (`makeRecord`).
    func account(kind: ExitKind, counts: CountsView) -> UInt64 {
        let k = kind.code
        let sums = kindCounts + k &* OperationCounts.size
        let phaseSums = kindPhaseCycles + k &* Ledger.phases
        phaseScratch.update(repeating: 0, count: Ledger.phases)
        counts.drain { cell, n in
            sums[cell] &+= n
            phaseScratch[cellPhase[cell]] &+= UInt64(truncatingIfNeeded: max(0, n &* cellPrice[cell]))
        }
        var total: UInt64 = 0
        for p in 0..<Ledger.phases {
            phaseSums[p] &+= phaseScratch[p]
            total &+= phaseScratch[p]
        }
        exits &+= 1
        kindExits[k] &+= 1
        kindCycles[k] &+= total
        totalCycles &+= total
        return total
    }

    func makeRecord(vcpu: Int, time: UInt64, pc: UInt64, esr: ExceptionSyndrome?, kind: ExitKind, detail: String, counts: OperationCounts) -> ExitRecord {
        ExitRecord(sequence: exits - 1, vcpu: vcpu, time: time, pc: pc, esr: esr, kind: kind.name, detail: detail,
                   counts: counts, phaseCycles: Array(UnsafeBufferPointer(start: phaseScratch, count: Ledger.phases)))
    }
}
