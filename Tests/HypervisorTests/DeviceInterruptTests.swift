import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// A device's level-sensitive SPI through the vGIC: the PL031's match
/// interrupt (the `rtcirq` guest; kvm-unit-tests' pl031 checks the same).
final class DeviceInterruptTests: XCTestCase {
    func testRTCMatchInterruptIsPendingWhileUnmaskedTakenOnceAndClearedByRTCICR() throws {
        let checks = ["RTCRIS: the match was reached", "masked (RTCIMSC = 0): SPI 34 not pending",
                      "unmasked: SPI 34 pending in the distributor", "not taken while the SPI is disabled",
                      "taken once after enabling it", "the handler saw RTCRIS 1, then 0 after RTCICR",
                      "cleared: SPI 34 no longer pending", "a WFI is woken by the next match's interrupt"]
        for (mode, run) in try GuestRun.passingInBothDesigns("rtcirq", checks) {
            // The deactivation asked for an EOI maintenance interrupt (LR.EOI): it exits.
            XCTAssertTrue(run.exits.contains { $0.detail == "IRQ: vGIC maintenance" }, "\(mode): \(run.exits.map(\.detail).suffix(6))")
            // The blocked vCPU was woken by the RTC's line.
            let woken = run.events.compactMap { e -> String? in if case .blocked(_, _, _, _, let w) = e { return w }; return nil }
            XCTAssertTrue(woken.contains("pl031 interrupt line (SPI 34)"), "\(mode): \(woken)")
        }
    }
}
