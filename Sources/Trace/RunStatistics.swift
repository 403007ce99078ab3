import EL2
import Hypervisor

/// `el2emu stats` / `run --stats`: per exit reason, the count, total and
/// mean modelled cycles and the share of all exit time; and the totals per
/// phase. Built from the ledger alone, in integers, so it is reproducible.
public struct RunStatistics: Equatable {
    public struct Row: Equatable {
        public var kind: String
        public var count: Int
        public var cycles: UInt64
        public var phaseCycles: [UInt64]
        public var meanCycles: UInt64 { count > 0 ? cycles / UInt64(count) : 0 }
    }

    public var mode: String
    public var profile: String
    /// Sorted by total cycles, largest first (ties by name).
    public var rows: [Row]
    public var exits: Int
    public var totalCycles: UInt64
    /// Cycles per phase over all exits, in Phase order.
    public var phaseTotals: [UInt64]

    public init(ledger: Ledger, mode: String) {
        self.mode = mode
        profile = ledger.profile.name
        let rows = ledger.byKind.map { Row(kind: $0.key, count: $0.value.count, cycles: $0.value.cycles, phaseCycles: $0.value.phaseCycles) }
            .sorted { $0.cycles != $1.cycles ? $0.cycles > $1.cycles : $0.kind < $1.kind }
        self.rows = rows
        exits = ledger.exits
        totalCycles = ledger.totalCycles
        phaseTotals = Phase.allCases.map { p in rows.reduce(0) { $0 &+ ($1.phaseCycles.indices.contains(p.rawValue) ? $1.phaseCycles[p.rawValue] : 0) } }
    }

    /// `part` of the exit time in hundredths of a percent, rounded.
    public func shareBasisPoints(_ part: UInt64) -> Int64 {
        guard totalCycles > 0 else { return 0 }
        let (p, o) = part.multipliedReportingOverflow(by: 10_000)
        let bp = o ? UInt64(Double(part) / Double(totalCycles) * 10_000) : (p + totalCycles / 2) / totalCycles
        return Int64(min(bp, 10_000))
    }

    public var json: JSONValue {
        .object([
            ("mode", .string(mode)), ("profile", .string(profile)),
            ("exits", .int(Int64(exits))), ("total_cycles", .uint(totalCycles)),
            ("by_kind", .array(rows.map { r in
                .object([("kind", .string(r.kind)), ("count", .int(Int64(r.count))), ("total_cycles", .uint(r.cycles)),
                         ("mean_cycles", .uint(r.meanCycles)), ("share_percent", .decimal(shareBasisPoints(r.cycles), scale: 2)),
                         ("phases", phaseObject(r.phaseCycles))])
            })),
            ("phases", phaseObject(phaseTotals)),
        ])
    }

    func phaseObject(_ cycles: [UInt64]) -> JSONValue {
        .object(Phase.allCases.map { ($0.description, .uint(cycles.indices.contains($0.rawValue) ? cycles[$0.rawValue] : 0)) })
    }
}
