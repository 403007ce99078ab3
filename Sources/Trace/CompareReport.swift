import CostModel
import EL2
import Foundation
import Hypervisor

/// `el2emu compare --report DIR`: one self-contained HTML page (no scripts
/// or styles from elsewhere) with SVG charts: split mode vs VHE per exit
/// kind beside the published numbers, and each design's cost by phase; the
/// text table's columns (diff, ratios, guest-seen) and its per-operation
/// breakdown, with the same figures (`CompareReportInput.Kind.cells`).
/// A short script at the end counts the bars the browser laid out into the
/// body's `data-rendered-bars` (nothing a reader sees), for the browser test.
public enum CompareReport {
    public static let seriesColors = ["#c0392b", "#2471a3", "#f1948a", "#85c1e9"]
    static let phaseColors = ["#7d3c98", "#c0392b", "#d4ac0d", "#e67e22", "#27ae60", "#2471a3"]

    /// Writes `index.html` into `directory` (created if needed) and returns its path.
    @discardableResult
    public static func write(_ input: CompareReportInput, to directory: String) throws -> String {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TraceError("cannot create the report directory '\(directory)': \(error.localizedDescription)")
        }
        let path = (directory as NSString).appendingPathComponent("index.html")
        guard fm.createFile(atPath: path, contents: Data(html(input).utf8)) else {
            throw TraceError("cannot write the report '\(path)'")
        }
        return path
    }

    public static func html(_ input: CompareReportInput) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(input.title))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:960px}
        table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
        th:first-child,td:first-child{text-align:left;white-space:nowrap}svg{display:block;margin:1em 0}
        .axis{stroke:#444}.grid{stroke:#ddd}.label{font-size:12px;fill:#222}.value{font-size:10px;fill:#222}
        </style></head><body>
        <h1>\(escape(input.title))</h1>
        <p>Modelled cycles per exit (mean) under the <b>\(escape(input.profile))</b> cost profile, split mode (nVHE, ARMv8.0) against VHE (ARMv8.1), with the published measurements from \(escape(input.publishedSource)) where the paper has the same exit.</p>

        """
        h += "<h2>Exit cost: split mode vs VHE</h2>\n" + costChart(input) + "\n" + costTable(input)
        h += "<h2>Where the cycles go: cost by phase</h2>\n<p>Each exit kind's mean cost in each design, stacked by phase (entry, save, handler, highvisor round trip, restore, ERET).</p>\n"
        h += phaseChart(input) + "\n" + phaseTable(input)
        h += operationTables(input)
        h += """
        <script>
        // Counts the bars the browser laid out with a non-empty box.
        (function(){var bars=0;
        document.querySelectorAll('svg.chart rect.bar').forEach(function(r){var b=r.getBBox();if(b.width>0&&b.height>0)bars++;});
        document.body.setAttribute('data-rendered-bars',String(bars));})();
        </script>
        </body></html>

        """
        return h
    }

    // MARK: Charts

    struct Bar { var label: String; var value: UInt64; var color: String }

    static func costChart(_ input: CompareReportInput) -> String {
        let series: [(String, (CompareReportInput.Kind) -> UInt64?)] = [
            ("split mode (model)", { $0.splitCycles }), ("VHE (model)", { $0.vheCycles }),
            ("split mode (published)", { $0.publishedSplit }), ("VHE (published)", { $0.publishedVHE }),
        ]
        let groups = input.kinds.map { k in (k.name, series.enumerated().compactMap { i, s in s.1(k).map { Bar(label: s.0, value: $0, color: seriesColors[i]) } }) }
        let legend = series.enumerated().map { ($0.element.0, seriesColors[$0.offset]) }
        return groupedBars(id: "cost-chart", groups: groups, legend: legend)
    }

    static func groupedBars(id: String, groups: [(String, [Bar])], legend: [(String, String)]) -> String {
        let maxValue = groups.flatMap { $0.1 }.map(\.value).max() ?? 0
        let (top, step) = niceAxis(maxValue)
        let left = 70.0, plotH = 260.0, barW = 26.0, gap = 30.0
        let groupW = groups.map { Double(max($0.1.count, 1)) * barW + gap }
        let width = max(left + groupW.reduce(0, +) + 20, left + legendWidth(legend) + 20)
        let height = plotH + 90
        var s = svgOpen(id: id, width: width, height: height)
        s += axis(left: left, width: width, plotH: plotH, top: top, step: step)
        var x = left + gap / 2
        for (gi, g) in groups.enumerated() {
            for (bi, b) in g.1.enumerated() {
                let h = top > 0 ? Double(b.value) / Double(top) * plotH : 0
                let bx = x + Double(bi) * barW
                s += "<rect class=\"bar\" x=\(q(bx)) y=\(q(20 + plotH - h)) width=\(q(barW - 3)) height=\(q(h)) fill=\"\(b.color)\"><title>\(escape(g.0)): \(escape(b.label)) \(b.value) cycles</title></rect>\n"
                s += "<text class=\"value\" x=\(q(bx + (barW - 3) / 2)) y=\(q(16 + plotH - h)) text-anchor=\"middle\">\(b.value)</text>\n"
            }
            s += "<text class=\"label\" x=\(q(x + Double(g.1.count) * barW / 2)) y=\(q(20 + plotH + 16)) text-anchor=\"middle\">\(escape(g.0))</text>\n"
            x += groupW[gi]
        }
        s += legendSVG(legend, y: 20 + plotH + 36, left: left)
        return s + "</svg>"
    }

    static func phaseChart(_ input: CompareReportInput) -> String {
        let designs = VirtualizationMode.allCases.map { m in (design(m), { (k: CompareReportInput.Kind) in k.phases(m) }) }
        // Per kind, a stacked bar per design that has numbers.
        let groups = input.kinds.map { k in (k.name, designs.filter { !$0.1(k).isEmpty }.map { ($0.0, $0.1(k)) }) }.filter { !$0.1.isEmpty }
        let maxValue = groups.flatMap { $0.1 }.map { $0.1.reduce(0, &+) }.max() ?? 0
        let (top, step) = niceAxis(maxValue)
        let left = 70.0, plotH = 260.0, barW = 44.0, gap = 10.0, groupGap = 40.0
        let legend = Phase.allCases.map { ($0.description, phaseColors[$0.rawValue]) }
        let plotW = groups.reduce(0.0) { $0 + Double($1.1.count) * (barW + gap) + groupGap }
        let width = max(left + plotW + 20, left + legendWidth(legend) + 20)
        let height = plotH + 110
        var s = svgOpen(id: "phase-chart", width: width, height: height)
        s += axis(left: left, width: width, plotH: plotH, top: top, step: step)
        var x = left + groupGap / 2
        for (kind, bars) in groups {
            let groupStart = x
            for (design, phases) in bars {
                var y = 20 + plotH
                for (p, cycles) in phases.enumerated() where cycles > 0 {
                    let h = top > 0 ? Double(cycles) / Double(top) * plotH : 0
                    y -= h
                    let phase = Phase(rawValue: p)?.description ?? "phase \(p)"
                    s += "<rect class=\"bar\" x=\(q(x)) y=\(q(y)) width=\(q(barW)) height=\(q(h)) fill=\"\(phaseColors[p % phaseColors.count])\"><title>\(escape(kind)) \(design): \(phase) \(cycles) cycles</title></rect>\n"
                }
                s += "<text class=\"value\" x=\(q(x + barW / 2)) y=\(q(y - 4)) text-anchor=\"middle\">\(phases.reduce(0, &+))</text>\n"
                s += "<text class=\"label\" x=\(q(x + barW / 2)) y=\(q(20 + plotH + 14)) text-anchor=\"middle\">\(escape(design))</text>\n"
                x += barW + gap
            }
            s += "<text class=\"label\" x=\(q((groupStart + x - gap) / 2)) y=\(q(20 + plotH + 32)) text-anchor=\"middle\">\(escape(kind))</text>\n"
            x += groupGap
        }
        s += legendSVG(legend, y: 20 + plotH + 50, left: left)
        return s + "</svg>"
    }

    static func legendWidth(_ items: [(String, String)]) -> Double {
        items.reduce(0.0) { $0 + 26 + Double($1.0.count) * 7 }
    }

    static func svgOpen(id: String, width: Double, height: Double) -> String {
        "<svg class=\"chart\" id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\(q(width)) height=\(q(height)) viewBox=\"0 0 \(fmt(width)) \(fmt(height))\">\n"
    }

    static func axis(left: Double, width: Double, plotH: Double, top: UInt64, step: UInt64) -> String {
        var s = ""
        var v: UInt64 = 0
        while step > 0 && v <= top {
            let y = 20 + plotH - Double(v) / Double(max(top, 1)) * plotH
            s += "<line class=\"grid\" x1=\(q(left)) x2=\(q(width - 10)) y1=\(q(y)) y2=\(q(y))/>"
            s += "<text class=\"label\" x=\(q(left - 6)) y=\(q(y + 4)) text-anchor=\"end\">\(v)</text>\n"
            v += step
        }
        s += "<line class=\"axis\" x1=\(q(left)) x2=\(q(left)) y1=\"20\" y2=\(q(20 + plotH))/>"
        s += "<text class=\"label\" transform=\"translate(14,\(fmt(20 + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">cycles</text>\n"
        return s
    }

    static func legendSVG(_ items: [(String, String)], y: Double, left: Double) -> String {
        var s = ""
        var x = left
        for (name, color) in items {
            s += "<rect x=\(q(x)) y=\(q(y)) width=\"12\" height=\"12\" fill=\"\(color)\"/><text class=\"label\" x=\(q(x + 16)) y=\(q(y + 10))>\(escape(name))</text>\n"
            x += 26 + Double(name.count) * 7
        }
        return s
    }

    /// An axis top at or above `maxValue` with 4 to 10 round steps.
    static func niceAxis(_ maxValue: UInt64) -> (top: UInt64, step: UInt64) {
        guard maxValue > 0 else { return (1, 1) }
        var step: UInt64 = 1
        while maxValue / step > 10 {
            if maxValue / (step * 2) <= 10 { step *= 2; break }
            if maxValue / (step * 5) <= 10 { step *= 5; break }
            step *= 10
        }
        return ((maxValue + step - 1) / step * step, step)
    }

    // MARK: Tables

    /// The text table's columns, cell for cell.
    static func costTable(_ input: CompareReportInput) -> String {
        var t = "<table id=\"cost-table\"><tr><th>exit kind</th><th>split (model)</th><th>split (published)</th><th>diff</th>"
            + "<th>VHE (model)</th><th>VHE (published)</th><th>diff</th><th>split/VHE (model)</th><th>split/VHE (published)</th>"
            + "<th>guest-seen split/VHE</th></tr>\n"
        for k in input.kinds {
            let c = k.cells
            t += "<tr><td>\(escape(k.name))</td>" + [c.split, c.publishedSplit, c.splitDiff, c.vhe, c.publishedVHE, c.vheDiff, c.ratio, c.publishedRatio,
                                                    c.guestSplit + "/" + c.guestVHE].map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        return t + "</table>\n<p>diff: the model against the published figure; guest-seen: the cycles per operation the guest measured itself on CNTVCT.</p>\n"
    }

    /// Each design's cost operation by operation: count per operation × price, the designs side by side.
    static func operationTables(_ input: CompareReportInput) -> String {
        var h = "<h2>Operation by operation</h2>\n<p>What the hypervisor did per operation in each design, and what the <b>\(escape(input.profile))</b> profile charges for each.</p>\n"
        let modes = VirtualizationMode.allCases
        for k in input.kinds {
            let designs = modes.compactMap { m in k.breakdown(m).map { (m, $0) } }
            guard !designs.isEmpty else { continue }
            h += "<h3>\(escape(k.name))</h3>\n"
            for (m, b) in designs {
                h += "<p><b>\(escape(m.title))</b>: \(escape(b.summary))" + (b.phases.isEmpty ? "; no exit: nothing for the hypervisor to do"
                    : "; by phase: " + escape(b.phases.map { "\($0.0) \($0.1)" }.joined(separator: ", "))) + "</p>\n"
            }
            let ops = PricedOperation.allCases.filter { op in designs.contains { $0.1.operations.contains { $0.operation == op } } }
            guard !ops.isEmpty else { continue }
            h += "<table class=\"operations\"><tr><th>operation</th><th>cycles each</th>"
                + designs.map { "<th>\(design($0.0)): per operation</th><th>\(design($0.0)): cycles</th>" }.joined() + "</tr>\n"
            for op in ops {
                let costs = designs.map { d in d.1.operations.first { $0.operation == op } }
                let price = costs.compactMap { $0?.price }.first ?? 0
                h += "<tr><td>\(escape(op.description))</td><td>\(price)</td>" + costs.map { c in
                    c.map { "<td>\($0.countText)</td><td>\(JSONValue.fixedPoint(Int64(($0.count * Double($0.price) * 10).rounded()), scale: 1))</td>" } ?? "<td>-</td><td>-</td>"
                }.joined() + "</tr>\n"
            }
            h += "</table>\n"
        }
        return h
    }

    static func phaseTable(_ input: CompareReportInput) -> String {
        var t = "<table id=\"phase-table\"><tr><th>exit kind</th><th>design</th>" + Phase.allCases.map { "<th>\($0)</th>" }.joined() + "<th>total</th></tr>\n"
        for k in input.kinds {
            for (d, phases) in VirtualizationMode.allCases.map({ (design($0), k.phases($0)) }) where !phases.isEmpty {
                t += "<tr><td>\(escape(k.name))</td><td>\(d)</td>" + Phase.allCases.map { "<td>\(phases.indices.contains($0.rawValue) ? phases[$0.rawValue] : 0)</td>" }.joined()
                    + "<td>\(phases.reduce(0, &+))</td></tr>\n"
            }
        }
        return t + "</table>\n"
    }

    /// A design's short name in the report's charts and tables.
    static func design(_ m: VirtualizationMode) -> String { m == .nvhe ? "split" : "VHE" }

    /// Coordinates with one decimal, computed without locale or float printing surprises.
    static func fmt(_ d: Double) -> String { JSONValue.fixedPoint(Int64((d * 10).rounded()), scale: 1) }
    static func q(_ d: Double) -> String { "\"" + fmt(d) + "\"" }

    static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }
}
