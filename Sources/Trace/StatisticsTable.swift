import CostModel
import EL2
import Hypervisor

/// The statistics as `perf kvm stat report` lays them out (builtin-kvm.c's
/// print_result): the event, Samples, Samples%, Time%, Min Time, Max Time,
/// Avg time with its spread, and the totals; then, for exits, the phases.
/// Times are modelled cycles where perf prints microseconds.
public enum StatisticsTable {
    /// perf's --event: exits (vmexit) or MMIO accesses by device and register (mmio).
    public enum Event: String, CaseIterable, Sendable {
        case vmexit, mmio
    }

    public static func render(_ s: RunStatistics, event: Event = .vmexit) -> String {
        let who = s.vcpu.map { "VCPU \($0)" } ?? "all VCPUs"
        let times = s.guestEL2.isEmpty ? "times in modelled cycles" : "exits to the guest's own EL2; times in virtual cycles from each exit to its ERET back"
        var lines = ["Analyze events for \(who) (mode \(s.mode); \(times)):", ""]
        switch event {
        case .vmexit:
            lines += table("VM-EXIT", s.rows.map { ($0.kind, $0.samples) }, count: s.exits, cycles: s.totalCycles)
            lines.append("")
            lines.append("Total Samples:\(s.exits), Total events handled time:\(s.totalCycles) cycles.")
            lines.append("")
            if !s.guestEL2.isEmpty {
                lines += guestEL2Table(s.guestEL2)
                break
            }
            lines.append("phase                total cycles     Time%")
            for p in Phase.allCases {
                let c = s.phaseTotals[p.rawValue]
                lines.append(pad(p.description, 14) + lpad(String(c), 18) + lpad(percent(s.shareBasisPoints(c)), 10))
            }
        case .mmio:
            lines += table("MMIO Access", s.mmio.map { ($0.name, $0.samples) }, count: s.mmioAccesses, cycles: s.mmioCycles)
            lines.append("")
            lines.append("Total Samples:\(s.mmioAccesses), Total events handled time:\(s.mmioCycles) cycles.")
        }
        return lines.joined(separator: "\n")
    }

    /// The header and one line per event, names right-aligned as perf prints them.
    static func table(_ title: String, _ rows: [(String, SampleStatistics)], count: Int, cycles: UInt64) -> [String] {
        let w = max(12, rows.map(\.0.count).max() ?? 0) + 1
        var lines = [lpad(title, w) + lpad("Samples", 11) + lpad("Samples%", 10) + lpad("Time%", 10)
                     + lpad("Min Time", 12) + lpad("Max Time", 12) + lpad("Avg time", 12), ""]
        for (name, s) in rows {
            lines.append(lpad(name, w) + lpad(String(s.count), 11)
                         + lpad(percent(RunStatistics.basisPoints(UInt64(s.count), of: UInt64(count))), 10)
                         + lpad(percent(RunStatistics.basisPoints(s.total, of: cycles)), 10)
                         + lpad(String(s.min), 12) + lpad(String(s.max), 12) + lpad(String(s.meanCycles), 12)
                         + " ( +-" + lpad(JSONValue.fixedPoint(s.spreadBasisPoints, scale: 2), 7) + "% )")
        }
        return lines
    }

    /// The guest hypervisor's work per exit reason: mean instructions at EL2, the EL1 registers it read and wrote (exits each).
    static func guestEL2Table(_ rows: [RunStatistics.GuestEL2Row]) -> [String] {
        let w = max(12, rows.map(\.kind.count).max() ?? 0) + 1
        var lines = [lpad("VM-EXIT", w) + lpad("EL2 insns", 11) + "   EL1 registers read / written (exits)", ""]
        for r in rows {
            lines.append(lpad(r.kind, w) + lpad(String(r.meanInstructions), 11) + "   " + (r.read.isEmpty ? "-" : r.read) + " / " + (r.written.isEmpty ? "-" : r.written))
        }
        return lines
    }

    static func percent(_ basisPoints: Int64) -> String { JSONValue.fixedPoint(basisPoints, scale: 2) + "%" }
    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
}
