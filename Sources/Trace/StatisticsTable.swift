import EL2
import Hypervisor

/// The statistics as a table, like kvm_stat: exit kinds, then phases.
public enum StatisticsTable {
    public static func render(_ ledger: Ledger, mode: String = "") -> String {
        render(RunStatistics(ledger: ledger, mode: mode))
    }

    public static func render(_ s: RunStatistics) -> String {
        var lines = ["exit kind        count    total cycles   mean cycles    share"]
        for r in s.rows {
            lines.append(pad(r.kind, 14) + lpad(String(r.count), 8) + lpad(String(r.cycles), 16) + lpad(String(r.meanCycles), 14)
                         + lpad(JSONValue.fixedPoint(s.shareBasisPoints(r.cycles) / 10, scale: 1) + "%", 9))
        }
        lines.append(pad("total", 14) + lpad(String(s.exits), 8) + lpad(String(s.totalCycles), 16)
                     + lpad(String(s.exits > 0 ? s.totalCycles / UInt64(s.exits) : 0), 14) + lpad(s.exits > 0 ? "100.0%" : "-", 9))
        lines.append("")
        lines.append("phase                total cycles    share")
        for p in Phase.allCases {
            let c = s.phaseTotals[p.rawValue]
            lines.append(pad(p.description, 14) + lpad(String(c), 18) + lpad(JSONValue.fixedPoint(s.shareBasisPoints(c) / 10, scale: 1) + "%", 9))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
}
