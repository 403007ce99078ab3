import EL2
import Foundation
import Hypervisor
import Trace
import XCTest

final class CompareReportTests: XCTestCase {
    /// The report input from real runs of the hello guest (one HVC exit) in both designs.
    func helloInput() throws -> CompareReportInput {
        let split = try runGuest("hello", mode: .nvhe)
        let vhe = try runGuest("hello", mode: .vhe)
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
        XCTAssertTrue(html.contains("<td>HVC64 (Hypercall)</td>"))
        XCTAssertTrue(html.contains("<td>6413</td><td>752</td>"))
    }

    func testHeadlessChromiumRendersTheCharts() throws {
        let input = try helloInput()
        let dir = try temporaryDirectory("report")
        let page = try CompareReport.write(input, to: dir.path)
        let chromium = try chromiumPath()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + dir.appendingPathComponent("profile").path,
                       "--dump-dom", URL(fileURLWithPath: page).absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        // The page's check counts the bars the browser laid out with a non-empty box.
        let hvc = input.kinds[0]
        let expected = 4 + hvc.splitPhases.filter { $0 > 0 }.count + hvc.vhePhases.filter { $0 > 0 }.count
        XCTAssertTrue(dom.contains("<p id=\"render-check\">rendered \(expected) bars in 2 charts</p>"), String(dom.suffix(600)))
        XCTAssertTrue(dom.contains("data-rendered-bars=\"\(expected)\""))
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
            XCTAssertTrue(html.contains("<td>\(name)</td>") && html.contains("<td>\(split)</td><td>\(vhe)</td></tr>"), name)
        }
        XCTAssertTrue(html.range(of: #"<tr><td>Hypercall</td><td>\d+</td><td>\d+</td>"#, options: .regularExpression) != nil)
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
