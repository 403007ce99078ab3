import AArch64
@testable import EL2
@testable import Hypervisor
import XCTest

/// A vCPU spinning on a flag another vCPU sets is fast-forwarded exactly:
/// the run is the one spinning gives, event for event, in far fewer host
/// instructions.
final class PollingLoopTests: XCTestCase {
    func run(_ guest: String, x0: UInt64, cpus: Int, mode: VirtualizationMode, fastForward: Bool) throws -> GuestRun {
        try GuestRun(guest, mode: mode, x0: x0) { c in
            c.cpus = cpus
            c.fastForwardPolling = fastForward
        }
    }

    func testVirtualIPISpinIsFastForwardedWithTheSameRun() throws {
        for mode in [VirtualizationMode.nvhe, .vhe] {
            let spun = try run("microbench", x0: 4, cpus: 2, mode: mode, fastForward: false)
            let skipped = try run("microbench", x0: 4, cpus: 2, mode: mode, fastForward: true)
            XCTAssertEqual(spun.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode)")
            XCTAssertTrue(spun.output.contains("ipi ticks/op="), spun.output)
            XCTAssertEqual(skipped.output, spun.output, "\(mode)")
            XCTAssertEqual(skipped.reason, spun.reason, "\(mode)")
            XCTAssertEqual(skipped.events.map { "\($0)" }, spun.events.map { "\($0)" }, "\(mode)")
            XCTAssertEqual(skipped.vm.vcpus.map { [$0.cpu.clock.cycles, $0.cpu.clock.instructions] }, spun.vm.vcpus.map { [$0.cpu.clock.cycles, $0.cpu.clock.instructions] }, "\(mode)")
            XCTAssertEqual(spun.vm.vcpus.map(\.cpu.pollingInstructionsSkipped), [0, 0])
            // vCPU 0 waits for each IPI's receipt by spinning on a flag.
            XCTAssertGreaterThan(skipped.vm.vcpus[0].cpu.pollingInstructionsSkipped, 10_000, "\(mode)")
        }
    }

    func testSecondaryBootWaitIsFastForwardedWithTheSameRun() throws {
        let spun = try run("smp", x0: 0, cpus: 2, mode: .vhe, fastForward: false)
        let skipped = try run("smp", x0: 0, cpus: 2, mode: .vhe, fastForward: true)
        XCTAssertEqual(skipped.output, spun.output)
        XCTAssertEqual(skipped.events.map { "\($0)" }, spun.events.map { "\($0)" })
        XCTAssertEqual(skipped.vm.vcpus.map { [$0.cpu.clock.cycles, $0.cpu.clock.instructions] }, spun.vm.vcpus.map { [$0.cpu.clock.cycles, $0.cpu.clock.instructions] })
    }

    func testOnlyLoopsThatOnlyPollQualify() {
        // ldr w8, [x9]; cbz w8, .-4: polls.
        XCTAssertNotNil(PollingLoopEffect(0xB940_0128))
        XCTAssertNotNil(PollingLoopEffect(0x3400_0008 | (0x7FFFF << 5)))
        // str w8, [x9]: a store is not polling.
        XCTAssertNil(PollingLoopEffect(0xB900_0128))
        // ldr x8, [x9], #8: post-index writeback.
        XCTAssertNil(PollingLoopEffect(0xF840_8528))
        // ldxr x8, [x9]: exclusive monitor.
        XCTAssertNil(PollingLoopEffect(0xC85F_7D28))
        // add x8, x8, #1: not in the set.
        XCTAssertNil(PollingLoopEffect(0x9100_0508))
    }
}
