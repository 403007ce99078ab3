import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// PSCI SYSTEM_OFF and SYSTEM_RESET end the run, over HVC or (with TSC) SMC;
/// a kvm-unit-tests "EXIT: STATUS=n" line sets the status SYSTEM_OFF reports.
final class PSCISystemOffTests: XCTestCase {
    func testSystemOffOverHVCEndsTheRunWithStatusZero() throws {
        for mode in VirtualizationMode.allCases {
            let run = try TrapGuestRun.run("ends", mode: mode, x0: 0)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "PSCI SYSTEM_OFF"), "\(mode)")
            XCTAssertEqual(run.exits.last?.detail, "HVC SYSTEM_OFF")
            XCTAssertEqual(run.exits.last?.esr?.raw, 0x5A00_0000, "HVC #0")
            XCTAssertFalse(run.output.contains("still running"))
        }
    }

    func testSystemResetOverHVCEndsTheRun() throws {
        for mode in VirtualizationMode.allCases {
            let run = try TrapGuestRun.run("ends", mode: mode, x0: 1)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "PSCI SYSTEM_RESET"), "\(mode)")
            XCTAssertEqual(run.exits.last?.detail, "HVC SYSTEM_RESET")
        }
    }

    func testSystemOffOverATrappedSMC() throws {
        for mode in VirtualizationMode.allCases {
            let run = try TrapGuestRun.run("ends", mode: mode, x0: 2)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "PSCI SYSTEM_OFF"), "\(mode)")
            XCTAssertEqual(run.exits.last?.detail, "SMC SYSTEM_OFF")
            XCTAssertEqual(run.exits.last?.esr?.raw, 0x5E00_0000, "SMC #0, trapped by TSC")
        }
    }

    func testSMCWithoutTSCIsUndefinedAndTheGuestRunsOn() throws {
        for mode in VirtualizationMode.allCases {
            let run = try TrapGuestRun.run("ends", mode: mode, clear: .TSC, x0: 2)
            XCTAssertTrue(run.output.contains("ends: still running"), "\(mode)")
            XCTAssertEqual(run.reason, .guestExit(status: 99, how: "semihosting SYS_EXIT"))
            XCTAssertFalse(run.exits.contains { $0.kind == "SMC64" })
        }
    }

    func testKVMUnitTestsExitStatusLineSetsTheSystemOffStatus() throws {
        // "EXIT: STATUS=5" is (2 << 1) | 1: the test's own status is 2.
        for mode in VirtualizationMode.allCases {
            let run = try TrapGuestRun.run("ends", mode: mode, x0: 3)
            XCTAssertEqual(run.reason, .guestExit(status: 2, how: "PSCI SYSTEM_OFF"), "\(mode)")
            XCTAssertEqual(run.reason.exitStatus, 2)
        }
    }
}
