import Hypervisor
import Trace
import XCTest

final class PerfettoTraceTests: XCTestCase {
    func traceEvents(_ guest: String, mode: VirtualizationMode = .nvhe, cpus: Int = 1) throws -> [[String: Any]] {
        let root = try XCTUnwrap(parseJSON(try trace(guest, format: .perfetto, mode: mode) { $0.cpus = cpus }) as? [String: Any])
        XCTAssertEqual(root["displayTimeUnit"] as? String, "ns")
        let other = try XCTUnwrap(root["otherData"] as? [String: Any])
        XCTAssertEqual(other["cpu_hz"] as? Int, 2_000_000_000, "the clock the microseconds are of")
        return try XCTUnwrap(root["traceEvents"] as? [[String: Any]])
    }

    /// `ts`/`dur` (microseconds, to the ns) as whole nanoseconds.
    func ns(_ e: [String: Any], _ key: String = "ts") -> Int? {
        (e[key] as? NSNumber).map { Int(($0.doubleValue * 1000).rounded()) }
    }

    func testEachVCPUHasANamedTrack() throws {
        let events = try traceEvents("hypercall")
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
                let ts = try XCTUnwrap(ns(exit)), dur = try XCTUnwrap(ns(exit, "dur"))
                let seq = try XCTUnwrap((exit["args"] as? [String: Any])?["seq"] as? Int)
                let phases = events.filter { $0["cat"] as? String == "phase" && ($0["args"] as? [String: Any])?["exit"] as? Int == seq }
                XCTAssertGreaterThanOrEqual(phases.count, 5)
                var at = ts
                for p in phases {
                    XCTAssertEqual(p["ph"] as? String, "X")
                    XCTAssertEqual(p["tid"] as? Int, exit["tid"] as? Int)
                    XCTAssertEqual(ns(p), at, "phases follow each other inside the exit")
                    at += ns(p, "dur")!
                }
                XCTAssertEqual(at, ts + dur, "the phases fill the exit slice")
                let order = phases.map { $0["name"] as! String }
                XCTAssertEqual(order, ["entry", "save", "handler", "highvisor", "restore", "eret"].filter(order.contains))
            }
        }
    }

    func testVHEExitsHaveNoHighvisorRoundTrip() throws {
        let events = try traceEvents("hypercall", mode: .vhe)
        let hvc = try XCTUnwrap(events.first { $0["cat"] as? String == "exit" })
        let split = try XCTUnwrap(try traceEvents("hypercall").first { $0["cat"] as? String == "exit" })
        XCTAssertLessThan(ns(hvc, "dur")!, ns(split, "dur")!)
        XCTAssertFalse(events.contains { $0["cat"] as? String == "phase" && $0["name"] as? String == "highvisor" })
    }

    func testDAIFIsAnInstantAndACounterAndWFIASliceOfTheWait() throws {
        let events = try traceEvents("tracing")
        let daif = events.filter { $0["cat"] as? String == "daif" }
        XCTAssertEqual(daif.map { $0["ph"] as? String }, ["i", "i"])
        XCTAssertEqual(daif.map { $0["name"] as? String }, ["DAIF DAIF->DA-F", "DAIF DA-F->DAIF"])
        let counters = events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "vCPU 0 DAIF" }
        XCTAssertEqual(counters.map { ($0["args"] as? [String: Int])?["I"] }, [0, 1])
        let block = try XCTUnwrap(events.first { $0["cat"] as? String == "wfi-block" })
        XCTAssertEqual(block["ph"] as? String, "X")
        XCTAssertEqual(block["name"] as? String, "WFI")
        let cycles = try XCTUnwrap((block["args"] as? [String: Any])?["cycles"] as? Int)
        XCTAssertGreaterThan(cycles, 0)
        // 2 GHz: a cycle is half a nanosecond; each end is rounded to the ns.
        XCTAssertEqual(Double(ns(block, "dur")!), Double(cycles) / 2, accuracy: 1)
        let stop = try XCTUnwrap(events.last)
        XCTAssertEqual(stop["name"] as? String, "stop")
        XCTAssertEqual(stop["s"] as? String, "g")
    }

    func testTwoVCPUTraceIsTheSameBytesEachRun() throws {
        let run = { try trace("smp", format: .perfetto) { $0.cpus = 2 } }
        XCTAssertEqual(try run(), try run())
    }

    func testIRQHandlerSlicesNeedTheERETsOfTheDAIFClass() throws {
        let root = try XCTUnwrap(parseJSON(try trace("smp", format: .perfetto, categories: [.exits, .irq]) { $0.cpus = 2 }) as? [String: Any])
        let events = try XCTUnwrap(root["traceEvents"] as? [[String: Any]])
        XCTAssertFalse(events.contains { ["B", "E", "s", "f"].contains($0["ph"] as? String) }, "no handler or flow without its end")
        XCTAssertTrue(events.contains { $0["cat"] as? String == "exception" })
    }

    /// What Perfetto's importer relies on, checked on a 2-vCPU run where the
    /// vCPUs wake each other with SGIs: per track, times never go back, every
    /// B has its E, slices nest; each WFI slice lasts its idle cycles; each
    /// IPI flow goes from a sender's exit to the receiver's IRQ handler.
    func testTwoVCPUTraceIsOrderedNestedAndHasWaitsAndIPIFlows() throws {
        let events = try traceEvents("smp", cpus: 2)
        var lastTS: [Int: Int] = [:]
        var open: [Int: [(name: String, end: Int?)]] = [:]   // per track: slices open (X: their end; B: nil)
        var flowStarts: [Int: (tid: Int, ts: Int)] = [:], flowEnds: [Int: (tid: Int, ts: Int)] = [:]
        var waits = 0
        for e in events {
            guard let ph = e["ph"] as? String, ph != "M", ph != "C" else { continue }
            let tid = try XCTUnwrap(e["tid"] as? Int, "\(e)"), ts = try XCTUnwrap(ns(e), "\(e)")
            XCTAssertGreaterThanOrEqual(ts, lastTS[tid] ?? 0, "time goes forward on track \(tid): \(e)")
            lastTS[tid] = ts
            var stack = open[tid] ?? []
            while let top = stack.last, let end = top.end, end <= ts, !(ph == "X" && end == ts && ns(e, "dur") == 0) { stack.removeLast() }
            switch ph {
            case "X":
                let end = ts + ns(e, "dur")!
                if let enclosing = stack.last?.end { XCTAssertLessThanOrEqual(end, enclosing, "slices nest: \(e)") }
                stack.append((e["name"] as! String, end))
                if e["name"] as? String == "WFI" {
                    waits += 1
                    let cycles = try XCTUnwrap((e["args"] as? [String: Any])?["cycles"] as? Int)
                    XCTAssertEqual(Double(ns(e, "dur")!), Double(cycles) / 2, accuracy: 1, "the slice lasts the wait: \(e)")
                }
            case "B":
                stack.append((e["name"] as! String, nil))
            case "E":
                XCTAssertEqual(stack.last?.end == nil ? stack.last?.name : nil, e["name"] as? String, "E ends the innermost B on its track: \(e)")
                if !stack.isEmpty { stack.removeLast() }
                if let enclosing = stack.last?.end { XCTAssertLessThanOrEqual(ts, enclosing, "a B/E pair nests in its slice: \(e)") }
            case "s":
                XCTAssertNil(flowStarts[e["id"] as! Int])
                XCTAssertEqual(stack.last?.name, "SYS64", "the flow starts in the sender's ICC_SGI1R_EL1 exit")
                flowStarts[e["id"] as! Int] = (tid, ts)
            case "f":
                XCTAssertNil(flowEnds[e["id"] as! Int])
                XCTAssertEqual(e["bp"] as? String, "e")
                XCTAssertEqual(stack.last?.name, "IRQ", "the flow ends in the receiver's IRQ handler")
                flowEnds[e["id"] as! Int] = (tid, ts)
            default:
                break
            }
            open[tid] = stack
        }
        XCTAssertTrue(open.values.allSatisfy { $0.allSatisfy { $0.end != nil } }, "every B has its E")
        XCTAssertGreaterThan(waits, 1)
        XCTAssertGreaterThan(flowEnds.count, 5, "IPIs both ways")
        for (id, end) in flowEnds {
            let start = try XCTUnwrap(flowStarts[id], "flow \(id) has a sender")
            XCTAssertNotEqual(start.tid, end.tid, "an IPI goes to another vCPU")
            XCTAssertLessThanOrEqual(start.ts, end.ts)
        }
        XCTAssertEqual(Set(flowStarts.keys).subtracting(flowEnds.keys).count, 0, "every IPI is taken before the guest ends")
    }
}
