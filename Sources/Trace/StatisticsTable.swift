import EL2
import Hypervisor

/// Per-exit-kind statistics in a table, like kvm_stat.
public enum StatisticsTable {
    public static func render(_ ledger: Ledger) -> String {
        var lines = ["exit kind        count    total cycles   mean cycles   share"]
        let total = max(ledger.totalCycles, 1)
        for (kind, s) in ledger.byKind.sorted(by: { $0.value.cycles > $1.value.cycles || $0.value.cycles == $1.value.cycles && $0.key < $1.key }) {
            let mean = s.count > 0 ? s.cycles / UInt64(s.count) : 0
            let share = Double(s.cycles) * 100 / Double(total)
            lines.append(pad(kind, 14) + lpad(String(s.count), 8) + lpad(String(s.cycles), 16) + lpad(String(mean), 14) + lpad(String(format1(share)) + "%", 8))
        }
        lines.append(pad("total", 14) + lpad(String(ledger.exits), 8) + lpad(String(ledger.totalCycles), 16))
        return lines.joined(separator: "\n")
    }

    static func format1(_ d: Double) -> String {
        let x = (d * 10).rounded() / 10
        return String(x)
    }
    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
}
