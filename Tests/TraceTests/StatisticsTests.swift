import EL2
import Hypervisor
import Trace
import XCTest

/// `stats` against `perf kvm stat report`: every figure is checked against
/// the events of the same run (its exit and mmio trace events).
final class StatisticsTests: XCTestCase {
    /// A guest run with a recorder listening beside the event log.
    func recorded(_ name: String, mode: VirtualizationMode = .nvhe, cpus: Int = 1) throws -> (run: GuestRunResult, recorder: StatisticsRecorder) {
        var recorder: StatisticsRecorder?
        let run = try runGuest(name, mode: mode, configure: { $0.cpus = cpus }) { recorder = StatisticsRecorder.attached(to: $0) }
        return (run, try XCTUnwrap(recorder))
    }

    func exits(_ run: GuestRunResult) -> [ExitRecord] {
        run.events.compactMap { e -> ExitRecord? in if case .exit(let r) = e { return r } else { return nil } }
    }

    func testEachExitKindHasPerfsSamplesTimesMinMaxAndSpread() throws {
        // tracing: several kinds; stage2_mmio: DABT_LOW exits of different costs.
        for guest in ["tracing", "stage2_mmio"] { try checkExitKinds(guest) }
    }

    func checkExitKinds(_ guest: String) throws {
        let (run, recorder) = try recorded(guest)
        let s = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        let exits = exits(run)
        XCTAssertEqual(s.exits, exits.count)
        XCTAssertEqual(s.exits, run.vm.ledger.exits, "the recorder saw every exit the ledger priced")
        XCTAssertEqual(s.totalCycles, run.vm.ledger.totalCycles)
        XCTAssertEqual(Set(s.rows.map(\.kind)), Set(exits.map(\.kind)))
        for row in s.rows {
            let mine = exits.filter { $0.kind == row.kind }.map(\.cycles)
            XCTAssertEqual(row.count, mine.count)
            XCTAssertEqual(row.cycles, mine.reduce(0, +))
            XCTAssertEqual(row.samples.min, mine.min())
            XCTAssertEqual(row.samples.max, mine.max())
            XCTAssertEqual(row.meanCycles, row.cycles / UInt64(row.count))
            // perf's spread: the standard error of the mean relative to the mean.
            let mean = Double(mine.reduce(0, +)) / Double(mine.count)
            let variance = mine.count > 1 ? mine.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / Double(mine.count - 1) : 0
            XCTAssertEqual(Double(row.samples.spreadBasisPoints), (variance / Double(mine.count)).squareRoot() / mean * 10_000, accuracy: 0.51, row.kind)
            XCTAssertEqual(row.phaseCycles.reduce(0, +), row.cycles)
        }
        if guest == "stage2_mmio" {
            XCTAssertTrue(s.rows.contains { $0.samples.min < $0.samples.max && $0.samples.spreadBasisPoints > 0 },
                          "an access served in user space costs more: \(s.rows.map { ($0.kind, $0.samples.min, $0.samples.max) })")
        }
        XCTAssertEqual(s.phaseTotals.reduce(0, +), s.totalCycles, "the phases account for every cycle")
        // perf's default key: most samples first.
        XCTAssertEqual(s.rows.map(\.count), s.rows.map(\.count).sorted(by: >))
        let byTime = RunStatistics(recorder, mode: "nvhe", profile: "a57", key: .time)
        XCTAssertEqual(byTime.rows.map(\.meanCycles), byTime.rows.map(\.meanCycles).sorted(by: >))
    }

    func testPerVCPUViewHasEachVCPUsOwnExits() throws {
        let (run, recorder) = try recorded("smp", mode: .vhe, cpus: 2)
        XCTAssertEqual(run.reason.exitStatus, 0)
        let exits = exits(run)
        let all = RunStatistics(recorder, mode: "vhe", profile: "a57")
        XCTAssertEqual(all.byVCPU.map(\.vcpu), [0, 1])
        for v in 0..<2 {
            let mine = exits.filter { $0.vcpu == v }
            XCTAssertFalse(mine.isEmpty, "vCPU \(v) took exits")
            let s = RunStatistics(recorder, mode: "vhe", profile: "a57", vcpu: v)
            XCTAssertEqual(s.exits, mine.count)
            XCTAssertEqual(s.totalCycles, mine.reduce(0) { $0 + $1.cycles })
            XCTAssertEqual(all.byVCPU[v].exits, mine.count)
            for row in s.rows {
                let k = mine.filter { $0.kind == row.kind }.map(\.cycles)
                XCTAssertEqual(row.count, k.count, "vCPU \(v) \(row.kind)")
                XCTAssertEqual(row.samples.min, k.min())
                XCTAssertEqual(row.samples.max, k.max())
            }
        }
        XCTAssertEqual(all.exits, exits.count)
    }

    func testMMIOViewCountsEachDeviceRegisterReadAndWrite() throws {
        let (run, recorder) = try recorded("stage2_mmio")
        let s = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        let accesses = run.events.compactMap { e -> (UInt64, Bool, String)? in
            if case .mmio(_, _, let address, _, let isWrite, _, let device) = e { return (address, isWrite, device) } else { return nil }
        }
        XCTAssertGreaterThan(accesses.count, 20)
        XCTAssertEqual(s.mmioAccesses, accesses.count)
        for m in s.mmio {
            let mine = accesses.filter { $0.0 == m.access.address && $0.1 == m.access.isWrite }
            XCTAssertEqual(m.samples.count, mine.count, m.name)
            XCTAssertTrue(mine.allSatisfy { $0.2 == m.access.device })
        }
        // Each emulated access is timed by the DABT_LOW exit that performed it.
        let dabt = exits(run).filter { $0.kind == "DABT_LOW" && !$0.detail.contains("external abort") && $0.detail.contains("MMIO") }
        XCTAssertEqual(s.mmioCycles, dabt.reduce(0) { $0 + $1.cycles })
        let rtc = try XCTUnwrap(s.mmio.first { $0.access.device == "pl031" && $0.access.offset == 0 && !$0.access.isWrite })
        XCTAssertEqual(rtc.access.register, "RTCDR")
        XCTAssertEqual(rtc.name, "pl031+0x0 RTCDR:R")
        let user = try XCTUnwrap(s.mmio.first { $0.access.device == "testdev" && $0.access.register == "user" })
        let kernel = try XCTUnwrap(s.mmio.first { $0.access.device == "testdev" && $0.access.register == nil })
        XCTAssertGreaterThan(user.samples.min, kernel.samples.max, "the user-space register costs the trip to user space")
    }

    func testDeviceRegistersAreNamedAsTheirManualsNameThem() {
        let cases: [(String, UInt64, String?)] = [
            ("pl011", 0x00, "UARTDR"), ("pl011", 0x18, "UARTFR"), ("pl011", 0x30, "UARTCR"), ("pl011", 0xFE0, "UARTPeriphID0"),
            ("pl031", 0x1C, "RTCICR"), ("pl031", 0xFFC, "RTCPCellID3"), ("gicd", 0x0, "GICD_CTLR"), ("gicd", 0x104, "GICD_ISENABLER1"),
            ("gicd", 0x421, "GICD_IPRIORITYR8"), ("gicd", 0x6008, "GICD_IROUTER1"), ("gicd", 0xFFE8, "GICD_PIDR2"),
            ("gicr1", 0x14, "GICR_WAKER"), ("gicr0", 0x1_0100, "GICR_ISENABLER0"), ("gicr0", 0x1_0404, "GICR_IPRIORITYR1"),
            ("testdev", 0x8, "user"), ("testdev", 0x0, nil), ("pl011", 0x800, nil),
            ("pci-ecam", 0x8014, "00:01.0 BAR1"), ("pci-ecam", 0xF_8004, "00:1f.0 COMMAND"), ("pci-ecam", 0x40, nil),
            ("gits", 0x88, "GITS_CWRITER"), ("gits", 0x108, "GITS_BASER1"), ("gits", 0x1_0040, "GITS_TRANSLATER"),
            ("gits", 0xFFE8, "GITS_PIDR2"),
        ]
        for (device, offset, name) in cases {
            let a = StatisticsRecorder.MMIOAccess(device: device, offset: offset, address: 0, isWrite: false)
            XCTAssertEqual(a.register, name, "\(device)+0x\(String(offset, radix: 16))")
        }
    }

    func testJSONKeepsItsFieldsAndAddsPerfsColumnsVCPUsAndMMIO() throws {
        let (run, recorder) = try recorded("hello")
        let s = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        let o = try XCTUnwrap(parseJSON(s.json.serialized) as? [String: Any])
        XCTAssertEqual(o["mode"] as? String, "nvhe")
        XCTAssertEqual(o["exits"] as? Int, run.vm.ledger.exits)
        XCTAssertTrue(o["vcpu"] is NSNull)
        let kinds = try XCTUnwrap(o["by_kind"] as? [[String: Any]])
        let hvc = try XCTUnwrap(kinds.first { $0["kind"] as? String == "HVC64" })
        for key in ["count", "total_cycles", "mean_cycles", "share_percent", "phases", "samples_percent", "time_percent", "min_cycles", "max_cycles", "spread_percent"] {
            XCTAssertNotNil(hvc[key], key)
        }
        XCTAssertEqual(kinds.compactMap { $0["count"] as? Int }.reduce(0, +), o["exits"] as? Int)
        XCTAssertEqual(kinds.compactMap { $0["samples_percent"] as? Double }.reduce(0, +), 100, accuracy: 0.01 * Double(kinds.count))
        let phases = try XCTUnwrap(o["phases"] as? [String: Int])
        XCTAssertEqual(phases.values.reduce(0, +), o["total_cycles"] as? Int)
        let vcpus = try XCTUnwrap(o["by_vcpu"] as? [[String: Any]])
        XCTAssertEqual(vcpus.count, 1)
        XCTAssertEqual(vcpus[0]["exits"] as? Int, o["exits"] as? Int)
        // The hello guest prints through the PL011: one UARTDR write per character.
        let mmio = try XCTUnwrap(o["mmio"] as? [String: Any])
        let registers = try XCTUnwrap(mmio["by_register"] as? [[String: Any]])
        let dr = try XCTUnwrap(registers.first { $0["register"] as? String == "UARTDR" && $0["access"] as? String == "write" })
        XCTAssertEqual(dr["device"] as? String, "pl011")
        XCTAssertEqual(dr["address"] as? String, "0x9000000")
        XCTAssertEqual(dr["count"] as? Int, "PL011: hello\n".utf8.count)
    }

    func testTableHasPerfsColumnsThenTotalsThenPhases() throws {
        let (_, recorder) = try recorded("tracing")
        let s = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        let lines = StatisticsTable.render(s).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "Analyze events for all VCPUs (mode nvhe; times in modelled cycles):")
        XCTAssertEqual(lines[2].split(separator: " ").joined(separator: " "), "VM-EXIT Samples Samples% Time% Min Time Max Time Avg time")
        // Each kind's line: its samples, both shares, min, max, mean and spread.
        for row in s.rows {
            let line = try XCTUnwrap(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(row.kind + " ") }, row.kind)
            let fields = line.split(separator: " ").map(String.init)
            XCTAssertEqual(Array(fields[1...5]), [String(row.count), percent(UInt64(row.count), s.exits), percent(row.cycles, s.totalCycles),
                                                   String(row.samples.min), String(row.samples.max)], line)
            XCTAssertEqual(fields[6], String(row.meanCycles))
            XCTAssertTrue(line.hasSuffix("%" + " )") && line.contains("( +-"), line)
        }
        XCTAssertTrue(lines.contains("Total Samples:\(s.exits), Total events handled time:\(s.totalCycles) cycles."))
        let phaseHeader = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("phase ") })
        XCTAssertEqual(lines[(phaseHeader + 1)...].map { String($0.prefix { $0 != " " }) }, ["entry", "save", "handler", "highvisor", "restore", "eret"])
    }

    func percent(_ part: UInt64, _ whole: Int) -> String {
        JSONValue.fixedPoint(RunStatistics.basisPoints(part, of: UInt64(whole)), scale: 2) + "%"
    }
    func percent(_ part: UInt64, _ whole: UInt64) -> String { percent(part, Int(whole)) }

    func testStatsCommandVCPUAndMMIOViewsMatchATraceOfTheSameRun() throws {
        let dir = try temporaryDirectory("stats-cli")
        let path = dir.appendingPathComponent("smp.jsonl").path
        let t = try el2emu(["run", "--guest", "smp", "--cpus", "2", "--mode", "vhe", "--trace", path, "--trace-format", "jsonl", "--trace-events", "exits,mmio"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let events = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { try parseJSON(String($0)) as? [String: Any] }
        for v in 0..<2 {
            let r = try el2emu(["stats", "--guest", "smp", "--cpus", "2", "--mode", "vhe", "--vcpu", String(v), "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any])
            XCTAssertEqual(o["vcpu"] as? Int, v)
            let mine = events.filter { $0["vcpu"] as? Int == v }
            let exits = mine.filter { $0["event"] as? String == "exit" }
            XCTAssertEqual(o["exits"] as? Int, exits.count, "vCPU \(v)")
            XCTAssertEqual(o["total_cycles"] as? Int, exits.compactMap { $0["cycles"] as? Int }.reduce(0, +))
            let mmio = try XCTUnwrap(o["mmio"] as? [String: Any])
            XCTAssertEqual(mmio["accesses"] as? Int, mine.filter { $0["event"] as? String == "mmio" }.count, "vCPU \(v)")
            for k in try XCTUnwrap(o["by_kind"] as? [[String: Any]]) {
                XCTAssertEqual(k["count"] as? Int, exits.filter { $0["kind"] as? String == k["kind"] as? String }.count)
            }
        }
        // The text views: perf's header for each event, the vCPU named.
        let table = try el2emu(["stats", "--guest", "smp", "--cpus", "2", "--mode", "vhe", "--vcpu", "1", "--event", "mmio"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.hasPrefix("Analyze events for VCPU 1 (mode vhe"), table.stdout)
        XCTAssertTrue(table.stdout.contains("MMIO Access    Samples  Samples%"), table.stdout)
        XCTAssertTrue(table.stdout.contains("gicr1+0x"), table.stdout)
        let bad = try el2emu(["stats", "--guest", "smp", "--cpus", "2", "--vcpu", "2"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--vcpu 2: the guest has 2 vCPUs (0-1)"), bad.stderr)
        let event = try el2emu(["stats", "--event", "ioport"])
        XCTAssertTrue(event.stderr.contains("The value 'ioport' is invalid for '--event <event>'. Please provide one of 'vmexit' and 'mmio'."), event.stderr)
    }

    func testStatsCommandPrintsJSONAndSendsTheGuestOutputToStderr() throws {
        let r = try el2emu(["stats", "--guest", "tracing", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any])
        let kinds = (o["by_kind"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
        XCTAssertTrue(kinds.contains("SYS64"))
        XCTAssertTrue(r.stderr.contains("PASS SCTLR_EL1 write kept its value"))
    }

    func testRunStatsPrintsTheTableAfterTheGuestOutput() throws {
        let r = try el2emu(["run", "--stats"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let guest = try XCTUnwrap(r.stdout.range(of: "PASS PSCI 1.0 over HVC"))
        let table = try XCTUnwrap(r.stdout.range(of: "Analyze events for all VCPUs"))
        XCTAssertLessThan(guest.lowerBound, table.lowerBound)
        XCTAssertNotNil(r.stdout.range(of: #"\n +HVC64 +1 "#, options: .regularExpression), r.stdout)
    }
}
