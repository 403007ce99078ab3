import AArch64
import Hypervisor
import XCTest

/// KVM's TVM toggle (kvm_toggle_cache / kvm_set_way_flush) in both designs:
/// the VM-control registers trap until the guest's MMU and caches are on,
/// and again after a set/way operation; `--hcr +TVM` keeps the trap.
final class CacheToggleTests: XCTestCase {
    func sys64(_ run: GuestRun) -> [String] {
        run.exits.filter { $0.kind == "SYS64" }.map(\.detail)
    }

    func notes(_ run: GuestRun) -> [String] {
        run.events.compactMap { if case .note(_, _, let n) = $0, n.hasPrefix("kvm_") { return n }; return nil }
    }

    func testVMRegisterTrapsStopOnceCachesAreOnAndReturnAfterSetWay() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("tvmtoggle", ["CONTEXTIDR_EL1 holds the last value written"]) {
            let traps = sys64(run)
            let contextidr = traps.enumerated().filter { $0.element.contains("MSR CONTEXTIDR_EL1") }.map(\.offset)
            let sctlrOn = try XCTUnwrap(traps.lastIndex { $0.contains("MSR SCTLR_EL1") }, "\(mode): \(traps)")
            let setWay = try XCTUnwrap(traps.firstIndex { $0.hasPrefix("SYS64 SYS ") }, "\(mode): \(traps)")
            XCTAssertEqual(contextidr.count, 4, "\(mode): three before the caches are on, one after set/way: \(traps)")
            XCTAssertTrue(contextidr.prefix(3).allSatisfy { $0 < sctlrOn }, "\(mode): \(traps)")
            XCTAssertTrue(contextidr.last! > setWay, "\(mode): \(traps)")
            XCTAssertEqual(run.vm.tvm.trappedWrites, traps.filter { $0.hasPrefix("SYS64 MSR ") && !$0.contains("ICC_") }.count, "\(mode)")
            XCTAssertEqual(run.vm.tvm.changes.map { $0.components(separatedBy: " at cycle").first! }, ["cpu0 off", "cpu0 on", "cpu0 off"], "\(mode)")
            // The trapped write after set/way finds the caches on: off again, as KVM does.
            XCTAssertEqual(notes(run), ["kvm_toggle_cache: MMU and caches on: TVM off", "kvm_set_way_flush: set/way operation: TVM on",
                                        "kvm_toggle_cache: MMU and caches on: TVM off"], "\(mode)")
        }
    }

    func testForcedTVMStaysOn() throws {
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("tvmtoggle", mode: mode) { $0.hcrSet = [.TVM] }
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), run.output)
            XCTAssertEqual(sys64(run).filter { $0.contains("MSR CONTEXTIDR_EL1") }.count, 7, "\(mode)")
            XCTAssertEqual(notes(run), [], "\(mode)")
        }
    }
}
