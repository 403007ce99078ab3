import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The micro-benchmark guest's interrupt benchmarks (kvm-unit-tests'
/// micro-bench ipi and eoi), measured by the guest on virtual time.
final class InterruptMicroBenchmarkTests: XCTestCase {
    func ticksPerOp(_ output: String, _ name: String) -> UInt64? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(name + " ticks/op=") }) else { return nil }
        return UInt64(line.split(separator: "=").last!)
    }

    func testVirtualEOIIsServedWithoutAnExitInOneInstruction() throws {
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("microbench", mode: mode, x0: 5)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), run.output)
            XCTAssertEqual(run.exitsExceptMMIO.count, 0, "\(mode): \(run.exitsExceptMMIO.map(\.detail))")
            // 1,024 EOIs plus the loop cost well under one counter tick (32 cycles) each.
            XCTAssertEqual(ticksPerOp(run.output, "eoi"), 0, run.output)
        }
    }

    func testVirtualIPICostsASendExitAndAWakeUpAndVHEIsCheaper() throws {
        var ticks: [VirtualizationMode: UInt64] = [:]
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("microbench", mode: mode, x0: 4) { $0.cpus = 2 }
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), run.output)
            let t = try XCTUnwrap(ticksPerOp(run.output, "ipi"), run.output)
            ticks[mode] = t
            // Every IPI is one trapped ICC_SGI1R_EL1 write on vCPU 0...
            let sends = run.exits.filter { $0.vcpu == 0 && $0.detail.hasPrefix("SYS64 MSR ICC_SGI1R_EL1") }
            XCTAssertEqual(sends.count, 1_025, "\(mode)")
            // ... and one wake-up of the blocked vCPU 1 (its WFI exit).
            XCTAssertEqual(run.exits.filter { $0.vcpu == 1 && $0.kind == "WFx" }.count, 1_025 + 1, "\(mode)")
            // At least the sender's exit, in counter ticks.
            XCTAssertGreaterThan(t * 32, sends[1].cycles, "\(mode)")
        }
        XCTAssertLessThan(ticks[.vhe]!, ticks[.nvhe]!)
        print("virtual IPI: nvhe \(ticks[.nvhe]! * 32) cycles, vhe \(ticks[.vhe]! * 32) cycles")
    }

    func testVirtualIPIWithOneVCPUSaysItNeedsASecond() throws {
        let run = try GuestRun("microbench", x0: 4)
        XCTAssertEqual(run.reason, .guestExit(status: 2, how: "semihosting SYS_EXIT"))
        XCTAssertTrue(run.output.contains("needs a second vCPU"))
    }
}
