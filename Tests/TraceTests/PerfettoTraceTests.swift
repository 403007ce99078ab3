import Hypervisor
import Trace
import XCTest

final class PerfettoTraceTests: XCTestCase {
    func traceEvents(_ guest: String, mode: VirtualizationMode = .nvhe) throws -> [[String: Any]] {
        let root = try XCTUnwrap(parseJSON(try trace(guest, format: .perfetto, mode: mode)) as? [String: Any])
        XCTAssertEqual(root["displayTimeUnit"] as? String, "ns")
        return try XCTUnwrap(root["traceEvents"] as? [[String: Any]])
    }

    func testEachVCPUHasANamedTrack() throws {
        let events = try traceEvents("hello")
        let names = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" }
        XCTAssertEqual(names.count, 1)
        XCTAssertEqual(names.first?["tid"] as? Int, 0)
        XCTAssertEqual((names.first?["args"] as? [String: Any])?["name"] as? String, "vCPU 0")
    }

    func testEachExitIsASliceWithItsPhasesNestedInOrder() throws {
        for mode in [VirtualizationMode.nvhe, .vhe] {
            let events = try traceEvents("tracing", mode: mode)
            let exits = events.filter { $0["cat"] as? String == "exit" }
            XCTAssertEqual(exits.prefix(3).map { $0["name"] as? String }, ["SYS64", "HVC64", "WFx"])
            for exit in exits {
                XCTAssertEqual(exit["ph"] as? String, "X")
                let ts = try XCTUnwrap(exit["ts"] as? Int), dur = try XCTUnwrap(exit["dur"] as? Int)
                let seq = try XCTUnwrap((exit["args"] as? [String: Any])?["seq"] as? Int)
                let phases = events.filter { $0["cat"] as? String == "phase" && ($0["args"] as? [String: Any])?["exit"] as? Int == seq }
                XCTAssertGreaterThanOrEqual(phases.count, 5)
                var at = ts
                for p in phases {
                    XCTAssertEqual(p["ph"] as? String, "X")
                    XCTAssertEqual(p["tid"] as? Int, exit["tid"] as? Int)
                    XCTAssertEqual(p["ts"] as? Int, at, "phases follow each other inside the exit")
                    at += p["dur"] as! Int
                }
                XCTAssertEqual(at, ts + dur, "the phases fill the exit slice")
                let order = phases.map { $0["name"] as! String }
                XCTAssertEqual(order, ["entry", "save", "handler", "highvisor", "restore", "eret"].filter(order.contains))
            }
        }
    }

    func testVHEExitsHaveNoHighvisorRoundTrip() throws {
        let events = try traceEvents("hello", mode: .vhe)
        let hvc = try XCTUnwrap(events.first { $0["cat"] as? String == "exit" })
        let split = try XCTUnwrap(try traceEvents("hello").first { $0["cat"] as? String == "exit" })
        XCTAssertLessThan(hvc["dur"] as! Int, split["dur"] as! Int)
        XCTAssertFalse(events.contains { $0["cat"] as? String == "phase" && $0["name"] as? String == "highvisor" })
    }

    func testDAIFAndWFIAreInstantEventsAndCounters() throws {
        let events = try traceEvents("tracing")
        let daif = events.filter { $0["cat"] as? String == "daif" }
        XCTAssertEqual(daif.map { $0["ph"] as? String }, ["i", "i"])
        XCTAssertEqual(daif.map { $0["name"] as? String }, ["DAIF DAIF->DA-F", "DAIF DA-F->DAIF"])
        let counters = events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "vCPU 0 DAIF" }
        XCTAssertEqual(counters.map { ($0["args"] as? [String: Int])?["I"] }, [0, 1])
        let wfi = events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "vCPU 0 WFI" }
        XCTAssertEqual(wfi.map { ($0["args"] as? [String: Int])?["waiting"] }, [1, 0])
        let block = try XCTUnwrap(events.first { $0["cat"] as? String == "wfi-block" })
        XCTAssertEqual((wfi[1]["ts"] as! Int) - (wfi[0]["ts"] as! Int), (block["args"] as? [String: Any])?["cycles"] as? Int)
        let stop = try XCTUnwrap(events.last)
        XCTAssertEqual(stop["name"] as? String, "stop")
        XCTAssertEqual(stop["s"] as? String, "g")
    }
}
