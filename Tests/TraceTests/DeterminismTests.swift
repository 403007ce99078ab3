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
        func statistics() throws -> RunStatistics {
            var recorder: StatisticsRecorder?
            _ = try runGuest("tracing") { recorder = StatisticsRecorder.attached(to: $0) }
            return RunStatistics(try XCTUnwrap(recorder), mode: "nvhe", profile: "a57")
        }
        let a = try statistics(), b = try statistics()
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.json.serialized, b.json.serialized)
        XCTAssertEqual(StatisticsTable.render(a), StatisticsTable.render(b))
        XCTAssertEqual(StatisticsTable.render(a, event: .mmio), StatisticsTable.render(b, event: .mmio))
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
