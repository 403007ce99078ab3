import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The `timer` guest (Firmware/guests/timer.c): the virtual and EL1
/// physical timers' interrupts through the GIC with the pending and enable
/// semantics kvm-unit-tests' timer test checks, in both designs.
final class TimerInterruptGuestTests: XCTestCase {
    static let checks = [
        "CVAL 10 ms ahead: ISTATUS within 10 ms of it, not before",
        "CVAL 10 ms ahead: interrupt received",
        "not pending before CVAL",
        "PPI disabled in GICR_ICENABLER0: pending in GICR_ISPENDR0, no interrupt",
        "timer disabled before the PPI is enabled again: no interrupt",
        "timer disabled: no longer pending",
        "IMASK: ISTATUS set, not pending in the GIC",
        "GICD_CTLR.EnableGrp1 clear: held pending, delivered once set",
        "PPI in Group 0 (GICR_IGROUPR0): held pending, delivered back in Group 1",
        "priority 0xf0 under ICC_PMR_EL1 0x80: held pending, delivered once PMR is 0xff",
        "TVAL 10 ms ahead and WFI: woken by the interrupt",
        "TVAL has counted past 0",
    ]

    /// Timer interrupts the host withdrew because the timer's line had dropped.
    func withdrawn(_ r: GuestRun) -> [Int] {
        r.events.compactMap { if case .hardware(_, _, .virtualInterrupt(let i, false)) = $0 { return i }; return nil }
    }

    func testTimerInterruptsFollowTheTimerLineAndTheGICEnablesInBothDesigns() throws {
        for mode in VirtualizationMode.allCases {
            let r = try GuestRun("timer", mode: mode)
            XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode)\n\(r.output)")
            XCTAssertFalse(r.output.contains("FAIL"), "\(mode)\n\(r.output)")
            for timer in ["vtimer", "ptimer"] {
                for check in TimerInterruptGuestTests.checks {
                    XCTAssertTrue(r.output.contains("PASS \(timer): \(check)"), "\(mode) \(timer): \(check)\n\(r.output)")
                }
            }
            // The timer fired while its PPI was disabled, then was disabled itself: the
            // host withdrew the queued interrupt instead of delivering it late.
            XCTAssertTrue(withdrawn(r).contains(GenericTimer.virtualPPI), "\(mode): \(withdrawn(r))")
            XCTAssertTrue(withdrawn(r).contains(GenericTimer.physicalPPI), "\(mode): \(withdrawn(r))")
        }
    }

    /// Seconds of polling the counter cost little guest execution: the model
    /// moves virtual time on while the guest spins, and the delay still lasts
    /// what the guest asked for (the guest checks 100 ms to 150 ms on CNTVCT).
    func testDelayLoopsOnTheCounterAreFastForwardedOnVirtualTime() throws {
        let r = try GuestRun("timer", mode: .nvhe)
        XCTAssertTrue(r.output.contains("PASS a 100 ms delay loop on CNTVCT waits 100 ms (to 150 ms)"), r.output)
        let cpu = r.vm.vcpus[0].cpu
        // Over half a second of virtual time (2 GHz), yet a few million instructions.
        XCTAssertGreaterThan(cpu.clock.cycles, 1_000_000_000)
        XCTAssertLessThan(cpu.clock.instructions, 20_000_000)
    }
}
