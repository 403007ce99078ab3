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
    /// Totals by exit kind, indexed by `ExitKind.code` (no hashing on the exit path).
    private var statistics = [ExitStatistics?](repeating: nil, count: ExitKind.count)
    /// The totals by kind name, like kvm_stat's rows.
    public var byKind: [String: ExitStatistics] {
        var d: [String: ExitStatistics] = [:]
        for (code, s) in statistics.enumerated() { if let s { d[ExitKind(code: code).name] = s } }
        return d
    }
    public private(set) var exits = 0
    public private(set) var totalCycles: UInt64 = 0
    private var phaseScratch = [UInt64](repeating: 0, count: Phase.allCases.count)

    init(profile: CostProfile) { self.profile = profile }

    /// Prices one exit's counts and adds them to the totals; returns its cycles.
    /// The per-exit record is only built when someone traces (`makeRecord`).
    func account(kind: ExitKind, counts: OperationCounts) -> UInt64 {
        let w = OperationCounts.width
        var total: UInt64 = 0
        exits &+= 1
        counts.table.withUnsafeBufferPointer { t in
            profile.cyclesPerOperation.withUnsafeBufferPointer { price in
                for p in 0..<phaseScratch.count {
                    var sum = 0
                    for o in 0..<w { sum &+= t[p &* w &+ o] &* price[o] }
                    phaseScratch[p] = UInt64(max(0, sum))
                    total &+= phaseScratch[p]
                }
            }
        }
        if statistics[kind.code] == nil { statistics[kind.code] = ExitStatistics() }
        add(to: &statistics[kind.code]!, total: total, counts: counts)
        totalCycles &+= total
        return total
    }

    /// One dictionary access per exit: the statistics are updated in place.
    private func add(to s: inout ExitStatistics, total: UInt64, counts: OperationCounts) {
        s.count &+= 1
        s.cycles &+= total
        for i in 0..<phaseScratch.count { s.phaseCycles[i] &+= phaseScratch[i] }
        s.counts += counts
    }

    func makeRecord(vcpu: Int, time: UInt64, pc: UInt64, esr: ExceptionSyndrome?, kind: ExitKind, detail: String, counts: OperationCounts) -> ExitRecord {
        ExitRecord(sequence: exits - 1, vcpu: vcpu, time: time, pc: pc, esr: esr, kind: kind.name, detail: detail,
                   counts: counts, phaseCycles: phaseScratch)
    }
}
