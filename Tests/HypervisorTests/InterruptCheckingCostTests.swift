import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// What checking for virtual interrupts costs the guest: a loop with a DAIF
/// mask/unmask pair per iteration, run with the checks on and off (one run
/// each, host time; printed, loosely bounded).
final class InterruptCheckingCostTests: XCTestCase {
    func runLoop(checking: Bool) throws -> (seconds: Double, instructions: UInt64, output: String) {
        var c = Configuration()
        c.maxInstructions = 200_000_000
        let vm = try VirtualMachine(c)
        let img = try GuestImage.load(path: FirmwareBuilder().build("daifloop").path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        vm.vcpus[0].cpu.interruptChecking = checking
        let start = Date()
        let reason = vm.run(entry: img.entry)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"))
        return (seconds, vm.vcpus[0].cpu.clock.instructions, vm.output)
    }

    func testGuestSpeedWithInterruptCheckingOnAndOff() throws {
        let off = try runLoop(checking: false)
        let on = try runLoop(checking: true)
        XCTAssertEqual(on.output, off.output)
        XCTAssertEqual(on.instructions, off.instructions)
        let mipsOn = Double(on.instructions) / on.seconds / 1e6, mipsOff = Double(off.instructions) / off.seconds / 1e6
        print(String(format: "interrupt checking: on %.1f M insn/s, off %.1f M insn/s, slowdown x%.2f (%llu instructions)",
                     mipsOn, mipsOff, on.seconds / off.seconds, on.instructions))
        XCTAssertGreaterThan(on.instructions, 10_000_000)
    }
}
