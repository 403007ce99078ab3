import Foundation
import XCTest

/// `--demand-paging`: RAM is mapped at stage 2 on first touch, so a fresh
/// guest's trace starts with the stage-2 faults it takes; `--ipa-bits 32`
/// runs the same guest with the other VTCR_EL2 layout.
final class DemandPagingOptionTests: XCTestCase {
    func testFreshGuestTakesStage2FaultsOnFirstTouchOnlyWithDemandPaging() throws {
        let path = NSTemporaryDirectory() + "el2emu-dp-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for extra in [["--demand-paging"], ["--demand-paging", "--ipa-bits", "32"], []] {
            let r = try EL2EmuCommand.run(["run", "--guest", "hello", "--trace", path, "--trace-events", "exits"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("PASS PSCI 1.0 over HVC"))
            let trace = try String(contentsOfFile: path, encoding: .utf8)
            let ramFaults = trace.split(separator: "\n").filter { $0.contains("RAM page mapped") }
            if extra.isEmpty {
                XCTAssertEqual(ramFaults.count, 0, "RAM is mapped up front without the option")
            } else {
                XCTAssertTrue(ramFaults.first?.contains("IABT_LOW IPA 0x40080000") ?? false, "the first fetch faults: \(ramFaults.first ?? "")")
                XCTAssertGreaterThan(ramFaults.count, 2, "\(extra)")
            }
        }
        let thp = try EL2EmuCommand.run(["run", "--guest", "hello", "--trace", path, "--trace-events", "exits", "--demand-paging", "--transparent-hugepage"])
        XCTAssertEqual(thp.status, 0, thp.stderr)
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains("IABT_LOW IPA 0x40080000 translation fault, level 1: RAM 2 MiB block mapped"))
        let alone = try EL2EmuCommand.run(["run", "--guest", "hello", "--transparent-hugepage"])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.stderr.contains("--transparent-hugepage needs --demand-paging"), alone.stderr)
        let bad = try EL2EmuCommand.run(["run", "--ipa-bits", "36"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("The value '36' is invalid for '--ipa-bits <ipa-bits>'. Please provide one of '40' and '32'."), bad.stderr)
    }
}
