import CostModel
import EL2
import Foundation
import Hypervisor
import Trace
import XCTest

final class CompareReportTests: XCTestCase {
    /// The report input from real runs of the hello guest (one HVC exit) in both designs.
    func helloInput() throws -> CompareReportInput {
        let split = try runGuest("hypercall", mode: .nvhe)
        let vhe = try runGuest("hypercall", mode: .vhe)
        return CompareReportInput(split: split.vm.ledger, vhe: vhe.vm.ledger)
    }

    func testInputFromTwoRunsHasTheModelledAndPublishedHypercallCosts() throws {
        let input = try helloInput()
        XCTAssertEqual(input.kinds.count, 1)
        let hvc = input.kinds[0]
        XCTAssertEqual(hvc.name, "HVC64 (Hypercall)")
        XCTAssertEqual(hvc.publishedSplit, 6_413)
        XCTAssertEqual(hvc.publishedVHE, 752)
        let split = try XCTUnwrap(hvc.splitCycles), vhe = try XCTUnwrap(hvc.vheCycles)
        XCTAssertGreaterThan(split, vhe * 2, "VHE saves the split-mode double trap and EL1 switch")
        XCTAssertEqual(hvc.splitPhases.reduce(0, +), split)
        XCTAssertEqual(hvc.vhePhases.reduce(0, +), vhe)
        XCTAssertEqual(hvc.vhePhases[Phase.highvisor.rawValue], 0, "no highvisor round trip under VHE")
        XCTAssertGreaterThan(hvc.splitPhases[Phase.highvisor.rawValue], 0)
    }

    func testReportIsSelfContainedHTMLWithTwoSVGCharts() throws {
        let html = CompareReport.html(try helloInput())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart\"").count - 1, 2)
        XCTAssertFalse(html.contains("src="), "no external scripts or images")
        XCTAssertFalse(html.contains("<link"), "no external stylesheets")
        // The text table's columns: model, published and their difference per design, both ratios.
        let hvc = try helloInput().kinds[0]
        let split = try XCTUnwrap(hvc.splitCycles), vhe = try XCTUnwrap(hvc.vheCycles)
        func diff(_ v: UInt64, _ p: Double) -> String { let d = Int(((Double(v) - p) * 100 / p).rounded()); return (d >= 0 ? "+" : "") + "\(d)%" }
        XCTAssertTrue(html.contains("<tr><td>HVC64 (Hypercall)</td><td>\(split)</td><td>6413</td><td>\(diff(split, 6413))</td>"
                                    + "<td>\(vhe)</td><td>752</td><td>\(diff(vhe, 752))</td>"
                                    + "<td>\(String(format: "%.1fx", Double(split) / Double(vhe)))</td><td>8.5x</td><td>-/-</td></tr>"), html)
        XCTAssertFalse(html.contains("rendered "), "no leftover render line")
        // The operations behind the exit, priced by the profile.
        let trap = try XCTUnwrap(hvc.splitOperations.first { $0.operation == .trapToEL2 })
        XCTAssertEqual(trap.count, 1)
        XCTAssertTrue(html.contains("<tr><td>trap to EL2</td><td>\(trap.price)</td><td>1.0</td>"))
    }

    func testRatiosAreRoundedAsTheTextTableRoundsThem() {
        // 4714 / 842 = 5.598: the text table prints 5.6x; the report did print 5.5x.
        let k = CompareReportInput.Kind(name: "I/O Kernel", splitCycles: 4714, vheCycles: 842, publishedSplit: 8034, publishedVHE: 1604,
                                        splitExits: 1, vheExits: 1)
        XCTAssertEqual(k.cells.ratio, "5.6x")
        XCTAssertEqual(k.cells.splitDiff, "-41%")
        XCTAssertEqual(k.cells.vheDiff, "-48%")
        XCTAssertTrue(CompareReport.html(CompareReportInput(profile: "p", kinds: [k])).contains("<td>5.6x</td><td>5.0x</td>"))
        let none = CompareReportInput.Kind(name: "Virtual EOI", splitCycles: 0, vheCycles: nil, publishedSplit: 71, publishedVHE: 71, splitExits: 0)
        XCTAssertEqual([none.cells.split, none.cells.splitDiff, none.cells.vhe, none.cells.ratio, none.cells.publishedRatio], ["no exit", "-", "n/a", "-", "1.0x"])
    }

    func testHeadlessChromiumRendersTheCharts() throws {
        let input = try helloInput()
        let dir = try temporaryDirectory("report")
        let page = try CompareReport.write(input, to: dir.path)
        let dom = try chromium(["--dump-dom", URL(fileURLWithPath: page).absoluteString], profile: dir.appendingPathComponent("profile"))
        // The page's script counts the bars the browser laid out with a non-empty box.
        let hvc = input.kinds[0]
        let expected = 4 + hvc.splitPhases.filter { $0 > 0 }.count + hvc.vhePhases.filter { $0 > 0 }.count
        XCTAssertTrue(dom.contains("data-rendered-bars=\"\(expected)\""), String(dom.prefix(2000)))
    }

    /// `compare --breakdown --report`, then the page as headless Chromium shows
    /// it: the screenshot has the charts' bars in their colours, and the
    /// page's tables hold every figure of the text output, cell for cell.
    func testScreenshotAndPageShowWhatTheTextTableSays() throws {
        let dir = try temporaryDirectory("report-screenshot")
        let r = try el2emu(["compare", "--breakdown", "--report", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = URL(fileURLWithPath: dir.appendingPathComponent("index.html").path).absoluteString
        let png = dir.appendingPathComponent("shot.png")
        _ = try chromium(["--hide-scrollbars", "--window-size=1100,1400", "--screenshot=" + png.path, page], profile: dir.appendingPathComponent("p1"))
        let shot = try PNGPixels(contentsOf: png)
        XCTAssertEqual([shot.width, shot.height], [1100, 1400])
        let white = shot.count(255, 255, 255), pixels = shot.width * shot.height
        XCTAssertLessThan(white, pixels * 95 / 100, "the page is not blank")
        // The model's bars (split red, VHE blue) and the published ones (lighter), as the legend says.
        for (name, hex) in zip(["split model", "VHE model", "split published", "VHE published"], CompareReport.seriesColors) {
            let v = Int(hex.dropFirst(), radix: 16)!
            XCTAssertGreaterThan(shot.count(UInt8(v >> 16), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)), 2_000, "\(name) bars (\(hex)) in the screenshot")
        }

        let dom = try chromium(["--dump-dom", page], profile: dir.appendingPathComponent("p2"))
        XCTAssertFalse(dom.contains("rendered "), "no leftover render line")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("benchmark ") })
        var rows = 0
        for line in lines[(header + 1)...].prefix(while: { !$0.isEmpty }) {
            // The text table's fixed columns, then "split/VHE" guest-seen.
            var cells: [String] = [], rest = Substring(line)
            for w in [12, 13, 11, 8, 14, 11, 8, 17, 11] {
                cells.append(rest.prefix(w).trimmingCharacters(in: .whitespaces))
                rest = rest.dropFirst(w)
            }
            cells.append(rest.trimmingCharacters(in: .whitespaces))
            let row = "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
            XCTAssertTrue(dom.contains(row), "the page has the text table's row \(row)")
            rows += 1
        }
        XCTAssertEqual(rows, 5)
        XCTAssertTrue(dom.contains("<td>5.6x</td>"), "I/O Kernel's ratio, rounded as the text rounds it")
        // The breakdown: each design's summary and phases, and each operation's
        // count and price in its design's column of the benchmark's table.
        var design = "", table = Substring(), operations = 0
        for line in lines {
            if line.contains(" cycles per operation") {   // "Hypercall, VHE: 772 cycles per operation, 1.00 exits"
                let head = String(line.prefix { $0 != ":" }), name = String(head.prefix { $0 != "," })
                design = String(head.dropFirst(name.count + 2))
                XCTAssertTrue(dom.contains("<b>\(design)</b>: " + line.dropFirst(head.count + 2)), line)
                let start = try XCTUnwrap(dom.range(of: "<h3>\(name)</h3>"), name)
                table = dom[start.upperBound...]
                table = table[..<(table.range(of: "</table>")?.lowerBound ?? table.endIndex)]
            } else if line.hasPrefix("  by phase: ") {
                XCTAssertTrue(table.contains("; " + line.dropFirst(2) + "</p>"), line)
            } else if line.hasPrefix("    ") {
                // "    trap to EL2              1.0 x    70 cycles"
                let words = line.split(separator: " ").map(String.init)
                let x = try XCTUnwrap(words.lastIndex(of: "x"))
                let op = words[..<(x - 1)].joined(separator: " "), count = words[x - 1], price = words[x + 1]
                let start = try XCTUnwrap(table.range(of: "<tr><td>\(op)</td><td>\(price)</td>"), "\(design) \(op)")
                let cells = table[start.upperBound...].components(separatedBy: "</tr>")[0]
                    .components(separatedBy: "</td>").map { $0.replacingOccurrences(of: "<td>", with: "") }
                // Columns: split per operation, split cycles, VHE per operation, VHE cycles.
                XCTAssertEqual(cells[design == "VHE" ? 2 : 0], count, "\(design) \(op)")
                operations += 1
            }
        }
        XCTAssertGreaterThan(operations, 50, "every benchmark's operations were compared")
    }

    /// Runs headless Chromium on `arguments`; returns what it printed.
    func chromium(_ arguments: [String], profile: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try chromiumPath())
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile.path] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "chromium \(arguments)")
        return text
    }

    func testCompareCommandWritesTheReportOfItsMeasurement() throws {
        let dir = try temporaryDirectory("compare-cli")
        let r = try el2emu(["compare", "--report", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Hypercall"))
        XCTAssertTrue(r.stdout.contains("report: " + dir.appendingPathComponent("index.html").path))
        let html = try String(contentsOfFile: dir.appendingPathComponent("index.html").path, encoding: .utf8)
        XCTAssertTrue(html.contains("id=\"cost-chart\"") && html.contains("id=\"phase-chart\""))
        // Every micro-benchmark has a row with its published figures; the hypercall is measured in both designs.
        for (name, split, vhe) in [("Hypercall", 6413, 752), ("I/O Kernel", 8034, 1604), ("I/O User", 10012, 7630), ("Virtual IPI", 13121, 2526)] {
            XCTAssertNotNil(html.range(of: #"<tr><td>\#(name)</td><td>\d+</td><td>\#(split)</td><td>[-+]\d+%</td><td>\d+</td><td>\#(vhe)</td>"#,
                                       options: .regularExpression), name)
        }
    }

    func testUnwritableReportDirectoryIsRefused() throws {
        let r = try el2emu(["compare", "--report", "/proc/el2emu-report"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("cannot create the report directory '/proc/el2emu-report'"), r.stderr)
    }

    /// Debian's chromium; installed here if missing and possible (scripts/install-deps.sh --test installs it too).
    func chromiumPath() throws -> String {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        if let found = candidates.first(where: FileManager.default.isExecutableFile) { return found }
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
            p.arguments = ["install", "-y", "-qq", "chromium"]
            p.environment = ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try? p.run()
            p.waitUntilExit()
            if let found = candidates.first(where: FileManager.default.isExecutableFile) { return found }
        }
        throw XCTSkip("chromium is not installed and could not be installed (apt-get install chromium, or scripts/install-deps.sh --test): the report was not checked in a browser")
    }
}
