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

/// GICD_IROUTER routes a device's SPI to a vCPU (the `spiroute` guest): the
/// PL031's match interrupt wakes vCPU 1 from WFI while vCPU 0 spins with IRQs
/// open, then, routed back, wakes vCPU 0. QEMU's virt runs the same guest.
final class SPIRoutingTests: XCTestCase {
    static let checks = ["GICD_IROUTER of SPI 34 resets to 0 (vCPU 0)", "GICD_IROUTER reads back Aff0 = 1",
                         "routed to vCPU 1: taken there", "not taken on vCPU 0", "GICD_IROUTER reads back Aff0 = 0",
                         "routed back to vCPU 0: a WFI there is woken by it", "vCPU 1 took nothing more", "no other interrupt"]

    func testIROUTERSendsTheRTCInterruptToTheVCPUItNames() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("spiroute", Self.checks, configure: { $0.cpus = 2 }) {
            // Each vCPU was woken from its WFI by the line routed to it.
            let woken = run.events.compactMap { e -> Int? in
                if case .blocked(let vcpu, _, _, _, let w) = e, w == "pl031 interrupt line (SPI 34)" { return vcpu }
                return nil
            }
            XCTAssertEqual(woken, [1, 0], "\(mode)")
        }
    }

    func testQEMURoutesTheSameWay() throws {
        let (status, text) = try QEMUPeer.run("spiroute", machine: "virt,gic-version=3", ["-smp", "2"])
        XCTAssertEqual(status, 0, text)
        for check in Self.checks { XCTAssertTrue(text.contains("PASS \(check)\n"), "\(check)\n\(text)") }
    }
}
