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

/// Entered at EL2 the guest owns the GIC: the PL031's line reaches the PE as
/// a physical SPI (EL2/Interrupts/PhysicalSPIs.swift), taken at EL2 by a VHE
/// host and at EL1 after non-VHE init_el's ERET; no exit of el2emu's.
final class DeviceInterruptAtEL2Tests: XCTestCase {
    func testTheRTCMatchInterruptIsAPhysicalSPIWhenTheGuestOwnsEL2() throws {
        let checks = ["RTCRIS: the match was reached", "masked (RTCIMSC = 0): SPI 34 not pending",
                      "unmasked: SPI 34 pending in the distributor", "not taken while the SPI is disabled",
                      "taken once after enabling it", "the handler saw RTCRIS 1, then 0 after RTCICR",
                      "cleared: SPI 34 no longer pending", "a WFI is woken by the next match's interrupt"]
        for (mode, run) in try GuestRun.passingInBothDesigns("rtcirq", checks, configure: { $0.entryEL = 2 }) {
            XCTAssertTrue(run.exits.isEmpty, "\(mode): \(run.exits.map(\.kind))")
            // Both IRQs taken at the guest's own EL: its EL2 (VHE host) or EL1 (after init_el's ERET).
            let irqs = run.events.compactMap { e -> String? in
                if case .hardware(_, _, .guestException(_, _, let kind, _)) = e, kind.hasSuffix("irq") { return kind }
                return nil
            }
            XCTAssertEqual(irqs, Array(repeating: mode == .vhe ? "EL2 irq" : "irq", count: 2), "\(mode)")
            // The WFI was woken by the RTC's line reaching the PE.
            let woken = run.events.compactMap { e -> String? in if case .hardware(_, _, .idle(_, _, let w)) = e { return w }; return nil }
            XCTAssertEqual(woken, ["SPI 34"], "\(mode)")
        }
    }
}
