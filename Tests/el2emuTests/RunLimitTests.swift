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
}
