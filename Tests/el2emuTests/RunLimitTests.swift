import Foundation
import XCTest

/// A guest that never stops is ended at --max-insns or --max-cycles with a
/// message that names the limit and status 124 (timeout(1)'s).
final class RunLimitTests: XCTestCase {
    func testNeverEndingGuestStopsAtTheInstructionLimit() throws {
        for mode in ["nvhe", "vhe"] {
            let r = try EL2EmuCommand.run(["run", "--guest", "spin", "--mode", mode, "--max-insns", "200000"])
            XCTAssertEqual(r.status, 124, r.stderr)
            XCTAssertEqual(r.stdout, "spinning forever\n")
            XCTAssertTrue(r.stderr.contains("el2emu: stopped: instruction limit of 200000 reached (--max-insns)"), r.stderr)
        }
    }

    func testNeverEndingGuestStopsAtTheVirtualTimeLimit() throws {
        for mode in ["nvhe", "vhe"] {
            let r = try EL2EmuCommand.run(["run", "--guest", "spin", "--mode", mode, "--max-cycles", "3000000"])
            XCTAssertEqual(r.status, 124, r.stderr)
            XCTAssertEqual(r.stdout, "spinning forever\n")
            XCTAssertTrue(r.stderr.contains("el2emu: stopped: virtual time limit of 3000000 cycles reached (--max-cycles)"), r.stderr)
        }
    }

    func testPSCISystemOffEndsTheRunWithStatusZero() throws {
        // The `ends` guest boots with x0 = 0 from the CLI: its PSCI SYSTEM_OFF variant.
        let r = try EL2EmuCommand.run(["run", "--guest", "ends"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("guest exited (PSCI SYSTEM_OFF) with status 0"), r.stderr)
        XCTAssertFalse(r.stdout.contains("still running"))
    }

    func testTraceLimitStopsTheRunAndKeepsTheTraceSoFar() throws {
        // The traps guest prints through semihosting between exits: the stop
        // must take effect even when it is asked for inside a semihosting call.
        let path = NSTemporaryDirectory() + "el2emu-limit-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for guest in ["traps", "hello"] {
            let r = try EL2EmuCommand.run(["run", "--guest", guest, "--trace", path, "--trace-limit", "5"])
            XCTAssertEqual(r.status, 124, r.stderr)
            XCTAssertTrue(r.stderr.contains("stopped: the trace reached its limit of 5 events (--trace-limit)"), r.stderr)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 6, "five events and the stop")
            XCTAssertTrue(lines.last?.contains("stop") ?? false)
        }
    }

    func testHostTimeoutStopsANeverEndingGuest() throws {
        let r = try EL2EmuCommand.run(["run", "--guest", "spin", "--timeout", "0.5"])
        XCTAssertEqual(r.status, 124, r.stderr)
        XCTAssertTrue(r.stderr.contains("host time limit of 0.5 s reached (--timeout)"), r.stderr)
    }

    func testGuestRAMIsCappedWithAClearMessage() throws {
        let r = try EL2EmuCommand.run(["run", "--mem", "64G"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--mem 64G is more than the 16 GiB el2emu allows"), r.stderr)
    }
}
