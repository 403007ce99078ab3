import CostModel
import EL2
import Foundation
import Hypervisor

/// `el2emu compare`'s table: per micro-benchmark, modelled cycles in each
/// design, their ratio, and the published numbers with the difference.
/// Its cells come from the report's input (`CompareReportInput.Kind.cells`),
/// so the HTML report shows the same figures, rounded the same way.
public enum ComparisonTable {
    public static func render(_ rows: [ComparisonRow], profile: CostProfile, breakdown: Bool) -> String {
        let input = reportInput(rows, profile: profile)
        var out = ["cost profile: \(profile.name)", "",
                   "benchmark     split(model)  published   diff     VHE(model)  published   diff   split/VHE model  published  guest-seen split/VHE"]
        for k in input.kinds {
            let c = k.cells
            out.append(pad(k.name, 12) + lpad(c.split, 13) + lpad(c.publishedSplit, 11) + lpad(c.splitDiff, 8)
                       + lpad(c.vhe, 14) + lpad(c.publishedVHE, 11) + lpad(c.vheDiff, 8)
                       + lpad(c.ratio, 17) + lpad(c.publishedRatio, 11) + lpad(c.guestSplit, 12) + "/" + c.guestVHE)
        }
        let failures = rows.flatMap { r in VirtualizationMode.allCases.compactMap { m -> String? in
            if case .failure(let f)? = r.results[m] { return "  not measured: \(f)" } else { return nil } } }
        if !failures.isEmpty { out.append(""); out += failures }
        if breakdown { out.append(""); out += renderBreakdown(input) }
        return out.joined(separator: "\n")
    }

    static func renderBreakdown(_ input: CompareReportInput) -> [String] {
        var out: [String] = []
        for k in input.kinds {
            for mode in VirtualizationMode.allCases {
                guard let b = k.breakdown(mode) else { continue }
                out.append("\(k.name), \(mode.title): \(b.summary)")
                out.append(b.phases.isEmpty ? "  no exit: nothing for the hypervisor to do"
                           : "  by phase: " + b.phases.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
                for op in b.operations {
                    out.append("    " + pad(op.operation.description, 20) + lpad(op.countText, 8) + " x " + lpad(String(op.price), 5) + " cycles")
                }
            }
        }
        return out
    }

    static func measurement(_ r: Result<BenchmarkMeasurement, ComparisonFailure>?) -> BenchmarkMeasurement? {
        if case .success(let m)? = r { return m }
        return nil
    }

    static func diff(_ v: UInt64?, _ p: UInt64?) -> String {
        guard let v, let p, p > 0 else { return "-" }
        let d = (Double(v) - Double(p)) * 100 / Double(p)
        return (d >= 0 ? "+" : "") + String(Int(d.rounded())) + "%"
    }
    static func ratio(_ a: UInt64?, _ b: UInt64?) -> String {
        guard let a, let b, b > 0 else { return "-" }
        return String(format: "%.1fx", Double(a) / Double(b))
    }
    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
}

extension ComparisonTable {
    /// The report page's input from the micro-benchmark rows: modelled
    /// cycles and phases rounded to whole cycles, as the table prints them.
    public static func reportInput(_ rows: [ComparisonRow], profile: CostProfile) -> CompareReportInput {
        let kinds = rows.map { row -> CompareReportInput.Kind in
            let s = measurement(row.results[.nvhe]), v = measurement(row.results[.vhe])
            func operations(_ m: BenchmarkMeasurement?) -> [CompareReportInput.OperationCost] {
                PricedOperation.allCases.compactMap { op in
                    m?.operationsPerOperation[op].flatMap { $0 > 0 ? .init(operation: op, count: $0, price: profile[op]) : nil }
                }
            }
            return .init(name: row.benchmark.title,
                         splitCycles: s.map { UInt64($0.cyclesPerOperation.rounded()) },
                         vheCycles: v.map { UInt64($0.cyclesPerOperation.rounded()) },
                         publishedSplit: UInt64(row.benchmark.published(.nvhe)),
                         publishedVHE: UInt64(row.benchmark.published(.vhe)),
                         splitPhases: s?.phaseCyclesPerOperation.map { UInt64($0.rounded()) } ?? [],
                         vhePhases: v?.phaseCyclesPerOperation.map { UInt64($0.rounded()) } ?? [],
                         splitExits: s?.exitsPerOperation, vheExits: v?.exitsPerOperation,
                         guestSplit: s?.guestCyclesPerOperation.map { UInt64(max(0, $0)) },
                         guestVHE: v?.guestCyclesPerOperation.map { UInt64(max(0, $0)) },
                         splitOperations: operations(s), vheOperations: operations(v))
        }
        return CompareReportInput(profile: profile.name, kinds: kinds)
    }
}

extension CompareReportInput.Kind {
    /// The table's cells as text: "n/a" where a design was not measured,
    /// "no exit" where the operation took none (the model has nothing to price).
    public struct Cells: Equatable {
        public var split, publishedSplit, splitDiff, vhe, publishedVHE, vheDiff, ratio, publishedRatio, guestSplit, guestVHE: String
    }

    public func cycles(_ mode: VirtualizationMode) -> UInt64? { mode == .nvhe ? splitCycles : vheCycles }
    public func exits(_ mode: VirtualizationMode) -> Double? { mode == .nvhe ? splitExits : vheExits }
    public func phases(_ mode: VirtualizationMode) -> [UInt64] { mode == .nvhe ? splitPhases : vhePhases }
    public func operations(_ mode: VirtualizationMode) -> [CompareReportInput.OperationCost] { mode == .nvhe ? splitOperations : vheOperations }

    /// The modelled cycles of an operation that takes exits (nil: not measured, or no exit).
    func exitCycles(_ mode: VirtualizationMode) -> UInt64? {
        guard let c = cycles(mode), c > 0 || (exits(mode) ?? 1) > 0 else { return nil }
        return c
    }

    func cell(_ mode: VirtualizationMode) -> String {
        guard cycles(mode) != nil else { return "n/a" }
        return exitCycles(mode).map(String.init) ?? "no exit"
    }

    public var cells: Cells {
        let s = exitCycles(.nvhe), v = exitCycles(.vhe)
        func text(_ x: UInt64?) -> String { x.map(String.init) ?? "-" }
        return Cells(split: cell(.nvhe), publishedSplit: text(publishedSplit), splitDiff: ComparisonTable.diff(s, publishedSplit),
                     vhe: cell(.vhe), publishedVHE: text(publishedVHE), vheDiff: ComparisonTable.diff(v, publishedVHE),
                     ratio: ComparisonTable.ratio(s, v), publishedRatio: ComparisonTable.ratio(publishedSplit, publishedVHE),
                     guestSplit: text(guestSplit), guestVHE: text(guestVHE))
    }

    /// Where one design's cycles go: a summary line, the phases with cycles, the operations.
    public func breakdown(_ mode: VirtualizationMode) -> (summary: String, phases: [(String, UInt64)], operations: [CompareReportInput.OperationCost])? {
        guard let c = cycles(mode) else { return nil }
        let p = phases(mode)
        let summary = "\(c) cycles per operation" + (exits(mode).map { String(format: ", %.2f exits", $0) } ?? "")
        return (summary, Phase.allCases.filter { p.indices.contains($0.rawValue) && p[$0.rawValue] > 0 }.map { ($0.description, p[$0.rawValue]) },
                operations(mode))
    }
}

extension CompareReportInput.OperationCost {
    /// How many per operation, as the breakdown prints it.
    public var countText: String { String(format: "%.1f", count) }
}
