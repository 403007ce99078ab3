import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// A device's level-sensitive SPI through the vGIC: the PL031's match
/// interrupt (the `rtcirq` guest; kvm-unit-tests' pl031 checks the same).
final class DeviceInterruptTests: XCTestCase {
    func testRTCMatchInterruptIsPendingWhileUnmaskedTakenOnceAndClearedByRTCICR() throws {
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("rtcirq", mode: mode)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode): \(run.output)")
            XCTAssertFalse(run.output.contains("FAIL"), run.output)
            for check in ["RTCRIS: the match was reached", "masked (RTCIMSC = 0): SPI 34 not pending",
                          "unmasked: SPI 34 pending in the distributor", "not taken while the SPI is disabled",
                          "taken once after enabling it", "the handler saw RTCRIS 1, then 0 after RTCICR",
                          "cleared: SPI 34 no longer pending"] {
                XCTAssertTrue(run.output.contains("PASS \(check)"), "\(mode): \(check)\n\(run.output)")
            }
            // The deactivation asked for an EOI maintenance interrupt (LR.EOI): it exits.
            XCTAssertTrue(run.exits.contains { $0.detail == "IRQ: vGIC maintenance" }, "\(mode): \(run.exits.map(\.detail).suffix(6))")
        }
    }
}
