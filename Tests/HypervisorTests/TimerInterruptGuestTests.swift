import AArch64
import EL2
import GuestBuild
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

    struct Run {
        let vm: VirtualMachine
        let reason: StopReason
        let events: [HypervisorEvent]
        var output: String { vm.output }
        /// Timer interrupts the host withdrew because the timer's line had dropped.
        var withdrawn: [Int] {
            events.compactMap { if case .hardware(_, _, .virtualInterrupt(let i, false)) = $0 { return i }; return nil }
        }
    }

    func run(mode: VirtualizationMode) throws -> Run {
        var c = Configuration()
        c.mode = mode
        c.maxInstructions = 50_000_000
        let vm = try VirtualMachine(c)
        let image = try GuestImage.load(path: FirmwareBuilder().build("timer").path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(image)
        var events: [HypervisorEvent] = []
        vm.events.observers.append { events.append($0) }
        let reason = vm.run(entry: image.entry)
        return Run(vm: vm, reason: reason, events: events)
    }

    func testTimerInterruptsFollowTheTimerLineAndTheGICEnablesInBothDesigns() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(mode: mode)
            XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode)\n\(r.output)")
            XCTAssertFalse(r.output.contains("FAIL"), "\(mode)\n\(r.output)")
            for timer in ["vtimer", "ptimer"] {
                for check in TimerInterruptGuestTests.checks {
                    XCTAssertTrue(r.output.contains("PASS \(timer): \(check)"), "\(mode) \(timer): \(check)\n\(r.output)")
                }
            }
            // The timer fired while its PPI was disabled, then was disabled itself: the
            // host withdrew the queued interrupt instead of delivering it late.
            XCTAssertTrue(r.withdrawn.contains(GenericTimer.virtualPPI), "\(mode): \(r.withdrawn)")
            XCTAssertTrue(r.withdrawn.contains(GenericTimer.physicalPPI), "\(mode): \(r.withdrawn)")
        }
    }

    /// Seconds of polling the counter cost little guest execution: the model
    /// moves virtual time on while the guest spins, and the delay still lasts
    /// what the guest asked for (the guest checks 100 ms to 150 ms on CNTVCT).
    func testDelayLoopsOnTheCounterAreFastForwardedOnVirtualTime() throws {
        let r = try run(mode: .nvhe)
        XCTAssertTrue(r.output.contains("PASS a 100 ms delay loop on CNTVCT waits 100 ms (to 150 ms)"), r.output)
        let cpu = r.vm.vcpus[0].cpu
        // Over half a second of virtual time (2 GHz), yet a few million instructions.
        XCTAssertGreaterThan(cpu.clock.cycles, 1_000_000_000)
        XCTAssertLessThan(cpu.clock.instructions, 20_000_000)
    }
}
