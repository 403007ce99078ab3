import Hypervisor
import Trace
import XCTest

final class DeterminismTests: XCTestCase {
    func testSameGuestAndOptionsGiveByteIdenticalTracesInEveryFormat() throws {
        for format in TraceFormat.allCases {
            for mode in [VirtualizationMode.nvhe, .vhe] {
                let a = try trace("tracing", format: format, mode: mode)
                let b = try trace("tracing", format: format, mode: mode)
                XCTAssertFalse(a.isEmpty)
                XCTAssertEqual(a, b, "\(format) \(mode)")
            }
        }
    }

    func testSameGuestGivesIdenticalStatistics() throws {
        let a = RunStatistics(ledger: try runGuest("tracing").vm.ledger, mode: "nvhe")
        let b = RunStatistics(ledger: try runGuest("tracing").vm.ledger, mode: "nvhe")
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.json.serialized, b.json.serialized)
        XCTAssertEqual(StatisticsTable.render(a), StatisticsTable.render(b))
    }

    func testCLITraceFilesAreByteIdenticalAcrossRuns() throws {
        let dir = try temporaryDirectory("determinism")
        var files: [Data] = []
        for i in 0..<2 {
            let path = dir.appendingPathComponent("t\(i).json").path
            let r = try el2emu(["run", "--guest", "tracing", "--trace", path, "--trace-format", "perfetto", "--stats", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            files.append(Data(r.stdout.utf8))
        }
        XCTAssertEqual(files[0], files[2])
        XCTAssertEqual(files[1], files[3])
    }
}
