import Hypervisor
import Trace
import XCTest

/// The exits of a hypervisor of the guest's own (el2monitor at `--entry-el 2`)
/// in the Perfetto timeline and in `stats`: each a slice from the exception to
/// its ERET back with EC/ISS/ELR/FAR/HPFAR, its EL2 instructions and the EL1
/// registers its EL2 code read and wrote; the same run twice, the same bytes.
final class GuestEL2ExitTraceTests: XCTestCase {
    func testEachExitToTheGuestsEL2IsASliceWithItsSyndromeAndTheEL1RegistersItSwitched() throws {
        let json = try trace("el2monitor", format: .perfetto) { $0.entryEL = 2 }
        XCTAssertEqual(json, try trace("el2monitor", format: .perfetto) { $0.entryEL = 2 }, "deterministic")
        let root = try XCTUnwrap(parseJSON(json) as? [String: Any])
        let events = try XCTUnwrap(root["traceEvents"] as? [[String: Any]])
        let slices = events.filter { $0["cat"] as? String == "el2 exit" }
        // 15 exits; the last (SMC SYSTEM_OFF) never returns.
        XCTAssertEqual(slices.map { $0["name"] as? String }, ["HVC64", "WFx", "SMC64", "SYS64", "SYS64", "SYS64", "SYS64", "SYS64", "IRQ",
                                                              "DABT_LOW", "DABT_LOW", "HVC64", "SYS64", "HVC64"])
        var end = 0.0
        for s in slices {
            XCTAssertEqual(s["ph"] as? String, "X")
            let ts = try XCTUnwrap((s["ts"] as? NSNumber)?.doubleValue), dur = try XCTUnwrap((s["dur"] as? NSNumber)?.doubleValue)
            XCTAssertGreaterThan(dur, 0)
            XCTAssertGreaterThanOrEqual(ts, end, "slices of one vCPU do not overlap")
            end = ts + dur
            let args = try XCTUnwrap(s["args"] as? [String: Any])
            XCTAssertGreaterThan(args["instructions"] as? Int ?? 0, 50, "its EL2 code ran: \(args)")
        }
        func args(_ i: Int) -> [String: Any] { slices[i]["args"] as? [String: Any] ?? [:] }
        // MRS SCTLR_EL1 (TRVM): emulated by reading its guest's SCTLR_EL1; the MSR by writing it.
        XCTAssertEqual(args(3)["esr"] as? String, "0x62300401")
        XCTAssertEqual(args(3)["ec"] as? String, "0x18")
        XCTAssertEqual(args(3)["el1_read"] as? [String], ["SCTLR_EL1"])
        XCTAssertEqual(args(3)["el1_written"] as? [String], [])
        XCTAssertEqual(args(4)["el1_written"] as? [String], ["SCTLR_EL1"])
        // The stage-2 store: FAR_EL2 the VA, HPFAR_EL2 the IPA's page; ELR the store.
        XCTAssertEqual(args(9)["far"] as? String, "0x10000008")
        XCTAssertEqual(args(9)["hpfar"] as? String, "0x100000")
        XCTAssertEqual(args(9)["elr"] as? String, args(9)["pc"] as? String)
        XCTAssertEqual(args(9)["iss"] as? String, "0x1c18045")
    }

    func testStatsReadLikePerfKVMStatWithTheGuestHypervisorsWork() throws {
        let r = try runGuest("el2monitor") { $0.entryEL = 2 }
        let recorder = StatisticsRecorder { _ in nil }
        r.events.forEach(recorder.record)
        let s = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        XCTAssertEqual(s.rows.map(\.kind), ["SYS64", "HVC64", "DABT_LOW", "IRQ", "SMC64", "WFx"])
        XCTAssertEqual(s.rows.map(\.count), [6, 3, 2, 1, 1, 1])
        let text = StatisticsTable.render(s)
        XCTAssertTrue(text.contains("exits to the guest's own EL2; times in virtual cycles"), text)
        let sys = try XCTUnwrap(s.guestEL2.first)
        XCTAssertEqual(sys.kind, "SYS64")
        XCTAssertEqual(sys.read, "SCTLR_EL1:2 ESR_EL1:1 ID_AA64MMFR0_EL1:1")
        XCTAssertEqual(sys.written, "SCTLR_EL1:2")
        XCTAssertGreaterThan(sys.meanInstructions, 50)
        XCTAssertTrue(text.contains("EL2 insns"), text)
        XCTAssertFalse(text.contains("phase "), "no el2emu hypervisor phases in such a run: \(text)")
    }
}
