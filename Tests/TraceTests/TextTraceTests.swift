import CostModel
import Hypervisor
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

    /// Each vCPU runs ahead on its own clock for a slice, as the scheduler
    /// lets it: the lines are released in time order across many releases.
    func testLinesAreReleasedInTimeOrderAsEveryVCPUsClockPassesThem() throws {
        var out = ""
        let w = TraceWriter(format: .text, sink: { out += $0 })
        w.record(.psci(vcpu: 0, time: 5, call: "CPU_ON cpu1 entry=0x40080000 context=0x0", power: .on(vcpu: 1)))
        var clock: [UInt64] = [5, 5]
        var sent: [UInt64] = []
        for slice in 0..<40 {
            let v = slice % 2
            for _ in 0..<500 {
                clock[v] += UInt64(3 + 4 * v)
                w.record(.note(vcpu: v, time: clock[v], "step"))
                sent.append(clock[v])
            }
        }
        w.record(.psci(vcpu: 1, time: clock[1], call: "CPU_OFF cpu1", power: .off(vcpu: 1)))
        XCTAssertNotEqual(sent, sent.sorted(), "the events come out of order")
        XCTAssertGreaterThan(out.utf8.count, 0, "lines are released before the end")
        w.finish()
        let times = out.split(separator: "\n").map { UInt64($0.split(separator: " ")[0])! }
        XCTAssertEqual(times.count, sent.count + 2)
        XCTAssertEqual(times, times.sorted())
    }

    /// A time column repeated is the last one's bytes again: each as `TextFormatter` writes it alone.
    func testTimeColumnsAcrossTheirWidthsSayTheirTime() throws {
        var out = ""
        let w = TraceWriter(format: .text, sink: { out += $0 })
        let times: [UInt64] = [0, 0, 7, 999_999, 1_000_000, 1_000_000, 1_004_652, 1_999_999, 2_000_000, 12_345_678, 12_399_999,
                               999_999_999_999, 1_000_000_000_000, 1_000_000_000_001, 1_000_000_000_001, UInt64.max]
        for t in times { w.recordPSCI(vcpu: 0, time: t, call: "HVC PSCI_VERSION", power: nil) }
        w.finish()
        XCTAssertEqual(out.split(separator: "\n").map(String.init), times.map { TextFormatter.line(.psci(vcpu: 0, time: $0, call: "HVC PSCI_VERSION")) })
    }

    /// The writer numbers the strings of exits and PSCI calls up to a limit
    /// (details naming values can be many): past it, events go with their
    /// strings. Either way, and whether an exit comes as plain values or as
    /// its record, its line is the one `TextFormatter` writes.
    func testEventsPastTheNumberedStringsSayTheSame() throws {
        var out = ""
        let w = TraceWriter(format: .text, sink: { out += $0 })
        var expected: [String] = []
        let phases: [UInt64] = [110, 2114, 8, 135, 2212, 65]
        for i in 0..<6000 {
            let t = UInt64(i) * 10, call = "HVC call \(i)"
            w.recordPSCI(vcpu: 0, time: t, call: call, power: nil)
            expected.append(TextFormatter.line(.psci(vcpu: 0, time: t, call: call)))
            let r = ExitRecord(sequence: i, vcpu: 0, time: t, pc: 0x4008_0000, esr: nil, kind: "IRQ", detail: "IRQ \(i % 5000)",
                               counts: OperationCounts(), phaseCycles: phases, returnPC: 0x4008_0004)
            if i % 2 == 0 {
                phases.withUnsafeBufferPointer {
                    w.recordExit(sequence: i, vcpu: 0, time: t, pc: r.pc, esr: nil, kind: .irq, detail: r.detail, phases: $0, ipa: nil, returnPC: r.returnPC)
                }
            } else {
                w.record(.exit(r))
            }
            expected.append(TextFormatter.line(.exit(r)))
        }
        w.finish()
        XCTAssertEqual(out.split(separator: "\n").map(String.init), expected)
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
