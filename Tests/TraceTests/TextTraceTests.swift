import Trace
import XCTest

final class TextTraceTests: XCTestCase {
    func testEachLineStartsWithVirtualTimeThenVCPUThenEventAndPC() throws {
        let lines = try trace("tracing", format: .text).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(lines.count, 5)
        var last: UInt64 = 0
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let t = try XCTUnwrap(UInt64(fields[0]), line)
            XCTAssertGreaterThanOrEqual(t, last, "virtual time goes forward: \(line)")
            last = t
            XCTAssertTrue(fields[1].hasPrefix("cpu") || fields[1] == "-", line)
        }
        XCTAssertTrue(lines.last!.contains(" stop "), "the final stop is the last line")
        XCTAssertTrue(lines.last!.hasSuffix("guest exited (semihosting SYS_EXIT) with status 0"))
    }

    func testTwoVCPUTextTraceTimesNeverGoBack() throws {
        let text = try trace("smp", format: .text) { $0.cpus = 2 }
        let lines = text.split(separator: "\n")
        var last: UInt64 = 0
        for line in lines {
            let t = try XCTUnwrap(UInt64(line.split(separator: " ")[0]), String(line))
            XCTAssertGreaterThanOrEqual(t, last, "virtual time goes forward: \(line)")
            last = t
        }
        XCTAssertTrue(text.contains(" cpu1 wfi-block ") && text.contains(" cpu0 wfi-block "), "both vCPUs wait")
        XCTAssertTrue(lines.last!.contains(" stop "))
        XCTAssertEqual(text, try trace("smp", format: .text) { $0.cpus = 2 }, "the same run, the same bytes")
    }

    func testTrappedMSRIsDecodedAsAssemblerWithItsRegister() throws {
        let text = try trace("tracing", format: .text)
        let sys = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(" exit ") && $0.contains("SYS64") })
        XCTAssertTrue(sys.range(of: #"cpu0 exit +pc=0x[0-9a-f]+ SYS64 MSR SCTLR_EL1, x\d+ -> 0x[0-9a-f]+ cycles=\d+ \[entry=\d+ save=\d+"#, options: .regularExpression) != nil, String(sys))
    }

    func testDAIFChangesHVCSVCAndWFIAreEachOneLine() throws {
        let text = try trace("tracing", format: .text)
        XCTAssertTrue(text.contains("daif      pc=0x"))
        XCTAssertTrue(text.contains("DAIF->DA-F (MSR DAIFClr)"))
        XCTAssertTrue(text.contains("DA-F->DAIF (MSR DAIFSet)"))
        XCTAssertTrue(text.contains("HVC64 HVC PSCI_VERSION (HVC64 #0x0) -> 0x"))
        XCTAssertTrue(text.contains("sync taken at EL1 -> vector 0x"))
        XCTAssertTrue(text.contains("(SVC64 #0x42)"))
        XCTAssertTrue(text.range(of: #"wfi-block pc=0x[0-9a-f]+ blocked=\d+ woken-by=virtual timer \(PPI 27\)"#, options: .regularExpression) != nil)
        XCTAssertTrue(text.contains("WFx WFI: block vCPU -> 0x"))
    }

    func testTraceEventsFilterKeepsOnlyTheNamedClassesAndTheStop() throws {
        let lines = try trace("tracing", format: .text, categories: [.daif]).split(separator: "\n")
        XCTAssertEqual(lines.count, 3, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[0].contains(" daif "))
        XCTAssertTrue(lines[1].contains(" daif "))
        XCTAssertTrue(lines[2].contains(" stop "))
    }

    func testUnknownTraceEventNameIsRejectedWithTheKnownNames() {
        XCTAssertThrowsError(try TraceCategory.parseList("exits,bogus")) { e in
            XCTAssertEqual("\(e)", "unknown trace event 'bogus' in --trace-events: use a comma-separated list of exits, stage2, daif, irq, wfi, psci, mmio")
        }
        XCTAssertEqual(try TraceCategory.parseList("exits, WFI"), [.exits, .wfi])
    }
}
