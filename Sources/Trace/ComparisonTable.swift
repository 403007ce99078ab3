import EL2
import Foundation
import Hypervisor

/// `el2emu compare`'s table: per micro-benchmark, modelled cycles in each
/// design, their ratio, and the published numbers with the difference.
public enum ComparisonTable {
    public static func render(_ rows: [ComparisonRow], profile: CostProfile, breakdown: Bool) -> String {
        var out = ["cost profile: \(profile.name)", "",
                   "benchmark     split(model)  published   diff     VHE(model)  published   diff   split/VHE model  published  guest-seen split/VHE"]
        for row in rows {
            let s = row.results[.nvhe], v = row.results[.vhe]
            let sm = measurement(s), vm = measurement(v)
            let ps = row.benchmark.published(.nvhe), pv = row.benchmark.published(.vhe)
            var line = pad(row.benchmark.title, 12)
            line += cell(sm, 13) + lpad(String(ps), 11) + lpad(diff(exits(sm), ps), 8)
            line += cell(vm, 14) + lpad(String(pv), 11) + lpad(diff(exits(vm), pv), 8)
            line += lpad(ratio(exits(sm), exits(vm)), 17) + lpad(ratio(Double(ps), Double(pv)), 11)
            line += lpad((sm?.guestCyclesPerOperation).map { String(Int($0)) } ?? "-", 12) + "/" + ((vm?.guestCyclesPerOperation).map { String(Int($0)) } ?? "-")
            out.append(line)
        }
        let failures = rows.flatMap { r in VirtualizationMode.allCases.compactMap { m -> String? in
            if case .failure(let f)? = r.results[m] { return "  not measured: \(f)" } else { return nil } } }
        if !failures.isEmpty { out.append(""); out += failures }
        if breakdown { out.append(""); out += renderBreakdown(rows, profile: profile) }
        return out.joined(separator: "\n")
    }

    static func renderBreakdown(_ rows: [ComparisonRow], profile: CostProfile) -> [String] {
        var out: [String] = []
        for row in rows {
            for mode in VirtualizationMode.allCases {
                guard let m = measurement(row.results[mode]) else { continue }
                out.append("\(row.benchmark.title), \(mode.title): \(Int(m.cyclesPerOperation)) cycles per operation, \(String(format: "%.2f", m.exitsPerOperation)) exits")
                let phases = Phase.allCases.filter { m.phaseCyclesPerOperation[$0.rawValue] > 0 }
                    .map { "\($0) \(Int(m.phaseCyclesPerOperation[$0.rawValue].rounded()))" }
                out.append(phases.isEmpty ? "  no exit: nothing for the hypervisor to do" : "  by phase: " + phases.joined(separator: ", "))
                for op in HardwareOperation.allCases {
                    guard let n = m.operationsPerOperation[op], n > 0 else { continue }
                    out.append("    " + pad(op.description, 20) + lpad(String(format: "%.1f", n), 8) + " x " + lpad(String(profile[op]), 5) + " cycles")
                }
            }
        }
        return out
    }

    static func measurement(_ r: Result<BenchmarkMeasurement, ComparisonFailure>?) -> BenchmarkMeasurement? {
        if case .success(let m)? = r { return m }
        return nil
    }

    /// An operation that takes no exit (Virtual EOI: the vGIC serves it) leaves the
    /// hypervisor nothing to do, so the model has no cycles for it to compare.
    static func cell(_ m: BenchmarkMeasurement?, _ w: Int) -> String {
        guard let m else { return lpad("n/a", w) }
        return lpad(exits(m) == nil ? "no exit" : String(Int(m.cyclesPerOperation.rounded())), w)
    }
    /// The modelled cycles of an operation that takes exits.
    static func exits(_ m: BenchmarkMeasurement?) -> Double? {
        guard let m, m.exitsPerOperation > 0 || m.cyclesPerOperation > 0 else { return nil }
        return m.cyclesPerOperation
    }
    static func diff(_ v: Double?, _ p: Int) -> String {
        guard let v, p > 0 else { return "-" }
        let d = (v - Double(p)) * 100 / Double(p)
        return (d >= 0 ? "+" : "") + String(Int(d.rounded())) + "%"
    }
    static func ratio(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, b > 0 else { return "-" }
        return String(format: "%.1fx", a / b)
    }
    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
}

extension ComparisonTable {
    /// The report page's input from the micro-benchmark rows.
    public static func reportInput(_ rows: [ComparisonRow], profile: CostProfile) -> CompareReportInput {
        let kinds = rows.map { row -> CompareReportInput.Kind in
            let s = measurement(row.results[.nvhe]), v = measurement(row.results[.vhe])
            return .init(name: row.benchmark.title,
                         splitCycles: s.map { UInt64($0.cyclesPerOperation.rounded()) },
                         vheCycles: v.map { UInt64($0.cyclesPerOperation.rounded()) },
                         publishedSplit: UInt64(row.benchmark.published(.nvhe)),
                         publishedVHE: UInt64(row.benchmark.published(.vhe)),
                         splitPhases: s?.phaseCyclesPerOperation.map { UInt64($0.rounded()) } ?? [],
                         vhePhases: v?.phaseCyclesPerOperation.map { UInt64($0.rounded()) } ?? [])
        }
        return CompareReportInput(profile: profile.name, kinds: kinds)
    }
}
