import Trace
import XCTest

final class JSONLinesTraceTests: XCTestCase {
    func objects(_ guest: String) throws -> [[String: Any]] {
        try trace(guest, format: .jsonl).split(separator: "\n").map { try XCTUnwrap(parseJSON(String($0)) as? [String: Any]) }
    }

    func testEveryLineIsAJSONObjectWithTimeVCPUAndEvent() throws {
        let events = try objects("tracing")
        for e in events {
            XCTAssertNotNil(e["t"] as? UInt64 ?? (e["t"] as? Int).map(UInt64.init))
            XCTAssertNotNil(e["event"] as? String)
            XCTAssertTrue(e.keys.contains("vcpu"))
        }
        XCTAssertEqual(events.map { $0["event"] as! String }.filter { $0 != "mmio" },
                       ["exit", "daif", "daif", "psci", "exit", "exception", "wfi-block", "exit", "virq", "stop"])
    }

    func testTrappedMSRExitCarriesTheDecodedSyndrome() throws {
        let exit = try XCTUnwrap(try objects("tracing").first { $0["kind"] as? String == "SYS64" })
        let s = try XCTUnwrap(exit["syndrome"] as? [String: Any])
        XCTAssertEqual(s["ec"] as? Int, 0x18)
        XCTAssertEqual(s["ec_name"] as? String, "SYS64")
        XCTAssertEqual(s["register"] as? String, "SCTLR_EL1")
        XCTAssertEqual(s["direction"] as? String, "write")
        XCTAssertEqual(s["op0"] as? Int, 3)
        XCTAssertEqual(s["crn"] as? Int, 1)
        XCTAssertEqual(exit["esr"] as? String, "0x" + String(0x18 << 26 | 1 << 25 | 3 << 20 | 1 << 10 | (s["rt"] as! Int) << 5, radix: 16))
        let phases = try XCTUnwrap(exit["phases"] as? [String: Int])
        XCTAssertEqual(Set(phases.keys), ["entry", "save", "handler", "highvisor", "restore", "eret"])
        XCTAssertEqual(phases.values.reduce(0, +), exit["cycles"] as? Int)
        XCTAssertTrue((exit["pc"] as? String)?.hasPrefix("0x4008") ?? false)
    }

    func testEachExitSaysWhereItsERETReturnedTheGuest() throws {
        let exits = try objects("tracing").filter { $0["event"] as? String == "exit" }
        func address(_ v: Any?) -> UInt64? { (v as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) } }
        let byKind = Dictionary(exits.map { ($0["kind"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        // A trapped MSR is skipped; ELR_EL2 of an HVC is already past it; a trapped WFI completes.
        XCTAssertEqual(address(byKind["SYS64"]?["return_pc"]), address(byKind["SYS64"]?["pc"]).map { $0 + 4 })
        XCTAssertEqual(address(byKind["HVC64"]?["return_pc"]), address(byKind["HVC64"]?["pc"]))
        XCTAssertEqual(address(byKind["WFx"]?["return_pc"]), address(byKind["WFx"]?["pc"]).map { $0 + 4 })
    }

    func testDAIFAndStopEventsHaveTheirFields() throws {
        let events = try objects("tracing")
        let daif = events.filter { $0["event"] as? String == "daif" }
        XCTAssertEqual(daif.map { $0["old"] as? String }, ["DAIF", "DA-F"])
        XCTAssertEqual(daif.map { $0["new"] as? String }, ["DA-F", "DAIF"])
        XCTAssertEqual(daif.map { $0["cause"] as? String }, ["MSR DAIFClr", "MSR DAIFSet"])
        let stop = try XCTUnwrap(events.last)
        XCTAssertEqual(stop["event"] as? String, "stop")
        XCTAssertEqual(stop["status"] as? Int, 0)
        XCTAssertTrue(stop["error"] is NSNull)
        XCTAssertTrue(stop["vcpu"] is NSNull)
    }

    func testWFIBlockAndSVCExceptionEvents() throws {
        let events = try objects("tracing")
        let wfi = try XCTUnwrap(events.first { $0["event"] as? String == "wfi-block" })
        XCTAssertEqual(wfi["woken_by"] as? String, "virtual timer (PPI 27)")
        XCTAssertGreaterThan(wfi["cycles"] as? Int ?? 0, 0)
        let svc = try XCTUnwrap(events.first { $0["event"] as? String == "exception" })
        XCTAssertEqual(svc["kind"] as? String, "sync")
        XCTAssertEqual((svc["syndrome"] as? [String: Any])?["imm16"] as? Int, 0x42)
    }

    func testPSCICallsAndUARTAccessesAreTraced() throws {
        let events = try objects("hello")
        let psci = events.filter { $0["event"] as? String == "psci" }
        XCTAssertEqual(psci.map { $0["call"] as? String }, ["HVC PSCI_VERSION"])
        // The UART writes, in order, spell what the guest printed through the PL011.
        let writes = events.filter { $0["event"] as? String == "mmio" && $0["access"] as? String == "write" }
        XCTAssertTrue(writes.allSatisfy { $0["device"] as? String == "pl011" && $0["address"] as? String == "0x9000000" && $0["size"] as? Int == 4 })
        let text = String(decoding: writes.compactMap { ($0["value"] as? String).flatMap { UInt8($0.dropFirst(2), radix: 16) } }, as: UTF8.self)
        XCTAssertEqual(text, "PL011: hello\n", "hello's uart_puts; print() goes through semihosting")
        // Each write was preceded by a read of the flag register (UARTFR, TXFF clear).
        let reads = events.filter { $0["event"] as? String == "mmio" && $0["access"] as? String == "read" }
        XCTAssertEqual(reads.count, writes.count)
        XCTAssertTrue(reads.allSatisfy { $0["address"] as? String == "0x9000018" })
    }
}
