import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// Stage-2 costs on the host: faults per second, MMIO exits per second, and
/// the guest's speed with stage 2 on against off (same RAM placement, one run
/// of each in this test). Prints the numbers; asserts only that the runs work.
/// Small by default; `EL2EMU_BENCH=1` runs the full sizes (use a release build:
/// `swift test -c release -Xswiftc -enable-testing --filter Stage2Benchmarks`).
final class Stage2Benchmarks: XCTestCase {
    let full = ProcessInfo.processInfo.environment["EL2EMU_BENCH"] != nil
    var exitLoop: UInt64 { full ? 100_000 : 10_000 }

    func measure(_ mode: UInt64, scale: UInt64 = 0, _ configure: (inout Configuration) -> Void) throws -> (seconds: Double, vm: VirtualMachine, reason: StopReason) {
        var c = Configuration()
        configure(&c)
        let vm = try VirtualMachine(c)
        let img = try GuestImage.load(path: FirmwareBuilder().build("stage2_bench").path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        let start = DispatchTime.now().uptimeNanoseconds
        let reason = vm.run(entry: img.entry, x0: mode | scale << 8)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        XCTAssertEqual(reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), vm.output)
        return (seconds, vm, reason)
    }

    func testStage2OnAgainstOffGuestSpeed() throws {
        let identity: (inout Configuration) -> Void = { $0.ramHostBase = $0.ramBase; $0.ramHostRegions = 1 }
        // Alternate on and off three times each; report the best of each (host noise).
        var on: [Double] = [], off: [Double] = []
        for _ in 0..<3 {
            let a = try measure(0, scale: full ? 40 : 4, identity)
            let b = try measure(0, scale: full ? 40 : 4) { identity(&$0); $0.hcrClear = [.VM] }
            XCTAssertEqual(a.vm.output, b.vm.output, "same result with stage 2 on and off")
            on.append(a.seconds); off.append(b.seconds)
        }
        let bestOn = on.min()!, bestOff = off.min()!
        print(String(format: "stage2-bench: compute loop, stage 2 on %.3f s, off %.3f s (best of 3), on/off = %.2f", bestOn, bestOff, bestOn / bestOff))
    }

    func testMMIOExitsPerSecond() throws {
        for mode in VirtualizationMode.allCases {
            let hvc = try measure(4, scale: exitLoop) { $0.mode = mode }
            print(String(format: "stage2-bench: %@ hypercalls: %.0f exits/s host", mode.rawValue, Double(exitLoop) / hvc.seconds))
            let kernel = try measure(1, scale: exitLoop) { $0.mode = mode }
            let user = try measure(2, scale: exitLoop) { $0.mode = mode }
            let kExits = kernel.vm.guestAbortCount, uExits = user.vm.guestAbortCount
            XCTAssertGreaterThanOrEqual(kExits, Int(exitLoop))
            XCTAssertEqual(uExits, kExits, "one exit per read, in kernel or not")
            let kCycles = kernel.vm.ledger.byKind["DABT_LOW"].map { Double($0.cycles) / Double($0.count) } ?? 0
            let uCycles = user.vm.ledger.byKind["DABT_LOW"].map { Double($0.cycles) / Double($0.count) } ?? 0
            print(String(format: "stage2-bench: %@ MMIO in kernel: %.0f exits/s host, %.0f modelled cycles/exit; user space: %.0f exits/s host, %.0f cycles/exit",
                         mode.rawValue, Double(kExits) / kernel.seconds, kCycles, Double(uExits) / user.seconds, uCycles))
        }
    }

    func testDemandPagingFaultsPerSecond() throws {
        let pages: UInt64 = full ? 8192 : 1024
        let r = try measure(3, scale: pages) { $0.demandPaging = true }
        let faults = r.vm.guestAborts.filter { $0.resolution == .mappedOnDemand }.count
        XCTAssertGreaterThanOrEqual(faults, Int(pages), "one fault per first touch")
        let cycles = r.vm.ledger.byKind["DABT_LOW"].map { Double($0.cycles) / Double($0.count) } ?? 0
        print(String(format: "stage2-bench: demand paging: %d stage-2 faults in %.3f s = %.0f faults/s host, %.0f modelled cycles/fault",
                     faults, r.seconds, Double(faults) / r.seconds, cycles))
    }
}
