import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// What checking for virtual interrupts costs the guest, with the checks on
/// and off (one run each, host time; printed, not asserted): a loop with a
/// DAIF mask/unmask pair per iteration (the worst case: every unmask is
/// instrumented) and a plain compute loop (only the per-block deadline test).
final class InterruptCheckingCostTests: XCTestCase {
    func run(_ guest: String, checking: Bool, x1: UInt64 = 0) throws -> (seconds: Double, instructions: UInt64, output: String, reason: StopReason) {
        var c = Configuration()
        c.maxInstructions = 200_000_000
        let vm = try VirtualMachine(c)
        let img = try GuestImage.load(path: FirmwareBuilder().build(guest).path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        vm.vcpus[0].cpu.interruptChecking = checking
        let start = Date()
        let reason = vm.run(entry: img.entry, x1: x1)
        return (Date().timeIntervalSince(start), vm.vcpus[0].cpu.clock.instructions, vm.output, reason)
    }

    func compare(_ guest: String, x1: UInt64 = 0) throws {
        let off = try run(guest, checking: false, x1: x1)
        let on = try run(guest, checking: true, x1: x1)
        XCTAssertEqual(on.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"))
        XCTAssertEqual(on.reason, off.reason)
        XCTAssertEqual(on.output, off.output)
        XCTAssertEqual(on.instructions, off.instructions)
        XCTAssertGreaterThan(on.instructions, 5_000_000)
        let mips = { (r: (seconds: Double, instructions: UInt64, output: String, reason: StopReason)) in Double(r.instructions) / r.seconds / 1e6 }
        print(String(format: "interrupt checking (%@): on %.1f M insn/s, off %.1f M insn/s, slowdown x%.2f (%llu instructions)",
                     guest, mips(on), mips(off), on.seconds / off.seconds, on.instructions))
    }

    func testGuestSpeedWithInterruptCheckingOnAndOffWithDAIFWrites() throws {
        try compare("daifloop")
    }

    func testGuestSpeedWithInterruptCheckingOnAndOffComputeOnly() throws {
        try compare("loop", x1: 2_000_000)
    }
}
