import CostModel
import EL2
import Hypervisor

/// `el2emu stats` / `run --stats`, after `perf kvm stat report`: per exit
/// kind (VM-EXIT) or per MMIO register (`--event mmio`), the samples, their
/// share of all samples and of all time, min, max and mean time with perf's
/// spread; for all vCPUs or one (`--vcpu`); and the exit time per phase.
/// Times are modelled cycles, kept in integers where perf prints them.
public struct RunStatistics: Equatable {
    public struct Row: Equatable {
        public var kind: String
        public var samples: SampleStatistics
        public var phaseCycles: [UInt64]
        public var count: Int { samples.count }
        public var cycles: UInt64 { samples.total }
        public var meanCycles: UInt64 { samples.meanCycles }
    }

    public struct MMIORow: Equatable {
        public var access: StatisticsRecorder.MMIOAccess
        public var samples: SampleStatistics
        /// perf's "address:R/W", with the device and register: "pl011+0x0 UARTDR:W".
        public var name: String {
            "\(access.device)+0x\(String(access.offset, radix: 16))" + (access.register.map { " " + $0 } ?? "") + (access.isWrite ? ":W" : ":R")
        }
    }

    /// perf's --key: by samples (its default) or by mean time.
    public enum SortKey: String, CaseIterable, Sendable {
        case sample, time
    }

    public var mode: String
    public var profile: String
    /// The vCPU the figures are for; nil: all of them.
    public var vcpu: Int?
    public var rows: [Row]
    public var exits: Int
    public var totalCycles: UInt64
    /// Cycles per phase over all exits, in Phase order.
    public var phaseTotals: [UInt64]
    public var mmio: [MMIORow]
    public var mmioAccesses: Int
    public var mmioCycles: UInt64
    /// Exits and their cycles per vCPU, for every vCPU that took one.
    public var byVCPU: [(vcpu: Int, exits: Int, cycles: UInt64)]
    /// Exits to the guest's own hypervisor at EL2, per reason in `rows` order (empty for el2emu's own).
    public var guestEL2: [GuestEL2Row]

    public struct GuestEL2Row: Equatable {
        public var kind: String
        public var meanInstructions: UInt64
        /// "SCTLR_EL1:2 ESR_EL1:1": each EL1 register and the exits that read (wrote) it.
        public var read: String
        public var written: String
    }

    public static func == (a: RunStatistics, b: RunStatistics) -> Bool { a.json == b.json }

    public init(_ recorder: StatisticsRecorder, mode: String, profile: String, vcpu: Int? = nil, key: SortKey = .sample) {
        recorder.finishUntimed()
        self.mode = mode
        self.profile = profile
        self.vcpu = vcpu
        rows = recorder.exits.filter { $0.key.vcpu == vcpu }.map { Row(kind: $0.key.kind, samples: $0.value.samples, phaseCycles: $0.value.phaseCycles) }
            .sorted { RunStatistics.before($0.samples, $0.kind, $1.samples, $1.kind, key) }
        mmio = recorder.mmio.filter { $0.key.vcpu == vcpu }.map { MMIORow(access: $0.key.access, samples: $0.value) }
            .sorted { RunStatistics.before($0.samples, $0.name, $1.samples, $1.name, key) }
        exits = rows.reduce(0) { $0 + $1.count }
        totalCycles = rows.reduce(0) { $0 &+ $1.cycles }
        mmioAccesses = mmio.reduce(0) { $0 + $1.samples.count }
        mmioCycles = mmio.reduce(0) { $0 &+ $1.samples.total }
        let rows = rows
        phaseTotals = Phase.allCases.map { p in rows.reduce(0) { $0 &+ ($1.phaseCycles.indices.contains(p.rawValue) ? $1.phaseCycles[p.rawValue] : 0) } }
        guestEL2 = rows.compactMap { r in
            recorder.guestEL2[StatisticsRecorder.ExitKey(vcpu: vcpu, kind: r.kind)].map { c in
                func list(_ d: [String: Int]) -> String { d.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key):\($0.value)" }.joined(separator: " ") }
                return GuestEL2Row(kind: r.kind, meanInstructions: c.count == 0 ? 0 : (c.instructions + c.count / 2) / c.count,
                                   read: list(c.read), written: list(c.written))
            }
        }
        byVCPU = recorder.vcpus.sorted().map { v in
            let mine = recorder.exits.filter { $0.key.vcpu == v }.values
            return (v, mine.reduce(0) { $0 + $1.samples.count }, mine.reduce(0) { $0 &+ $1.samples.total })
        }
    }

    /// Larger first by the key, then by name, so the order is reproducible.
    static func before(_ a: SampleStatistics, _ an: String, _ b: SampleStatistics, _ bn: String, _ key: SortKey) -> Bool {
        let (x, y) = key == .sample ? (UInt64(a.count), UInt64(b.count)) : (a.meanCycles, b.meanCycles)
        return x != y ? x > y : an < bn
    }

    /// `part` of `whole` in hundredths of a percent, rounded.
    public static func basisPoints(_ part: UInt64, of whole: UInt64) -> Int64 {
        guard whole > 0 else { return 0 }
        let (p, o) = part.multipliedReportingOverflow(by: 10_000)
        let bp = o ? UInt64(Double(part) / Double(whole) * 10_000) : (p + whole / 2) / whole
        return Int64(min(bp, 10_000))
    }

    /// `part` of the exit time in hundredths of a percent, rounded.
    public func shareBasisPoints(_ part: UInt64) -> Int64 { RunStatistics.basisPoints(part, of: totalCycles) }

    public var json: JSONValue {
        .object([
            ("mode", .string(mode)), ("profile", .string(profile)), ("vcpu", vcpu.map { .int(Int64($0)) } ?? .null),
            ("exits", .int(Int64(exits))), ("total_cycles", .uint(totalCycles)),
            ("by_kind", .array(rows.map { r in
                .object([("kind", .string(r.kind)), ("count", .int(Int64(r.count))), ("total_cycles", .uint(r.cycles)),
                         ("mean_cycles", .uint(r.meanCycles)), ("share_percent", .decimal(shareBasisPoints(r.cycles), scale: 2)),
                         ("phases", phaseObject(r.phaseCycles))]
                        + sampleFields(r.samples, count: exits, cycles: totalCycles))
            })),
            ("phases", phaseObject(phaseTotals)),
            ("guest_el2", .array(guestEL2.map { g in
                .object([("kind", .string(g.kind)), ("mean_instructions", .uint(g.meanInstructions)),
                         ("el1_read", .string(g.read)), ("el1_written", .string(g.written))])
            })),
            ("by_vcpu", .array(byVCPU.map { .object([("vcpu", .int(Int64($0.vcpu))), ("exits", .int(Int64($0.exits))), ("total_cycles", .uint($0.cycles))]) })),
            ("mmio", .object([
                ("accesses", .int(Int64(mmioAccesses))), ("total_cycles", .uint(mmioCycles)),
                ("by_register", .array(mmio.map { m in
                    .object([("device", .string(m.access.device)), ("register", m.access.register.map(JSONValue.string) ?? .null),
                             ("offset", .hex(m.access.offset)), ("address", .hex(m.access.address)),
                             ("access", .string(m.access.isWrite ? "write" : "read")), ("count", .int(Int64(m.samples.count))),
                             ("total_cycles", .uint(m.samples.total)), ("mean_cycles", .uint(m.samples.meanCycles))]
                            + sampleFields(m.samples, count: mmioAccesses, cycles: mmioCycles))
                })),
            ])),
        ])
    }

    /// perf's columns: Samples%, Time%, Min Time, Max Time and the spread of Avg time.
    func sampleFields(_ s: SampleStatistics, count: Int, cycles: UInt64) -> [(String, JSONValue)] {
        [("samples_percent", .decimal(RunStatistics.basisPoints(UInt64(s.count), of: UInt64(count)), scale: 2)),
         ("time_percent", .decimal(RunStatistics.basisPoints(s.total, of: cycles), scale: 2)),
         ("min_cycles", .uint(s.min)), ("max_cycles", .uint(s.max)),
         ("spread_percent", .decimal(s.spreadBasisPoints, scale: 2))]
    }

    func phaseObject(_ cycles: [UInt64]) -> JSONValue {
        .object(Phase.allCases.map { ($0.description, .uint(cycles.indices.contains($0.rawValue) ? cycles[$0.rawValue] : 0)) })
    }
}
