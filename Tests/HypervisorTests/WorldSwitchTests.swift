import AArch64
import CostModel
import EL2
@testable import Hypervisor
import XCTest

/// The two designs side by side on the same guest: same guest-visible
/// behaviour, different work per exit, as the ledger's counts show.
final class WorldSwitchTests: XCTestCase {
    func testBothDesignsGiveTheGuestTheSameResults() throws {
        let split = try GuestRun("hello", mode: .nvhe)
        let vhe = try GuestRun("hello", mode: .vhe)
        XCTAssertEqual(split.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"))
        XCTAssertEqual(vhe.reason, split.reason)
        XCTAssertEqual(split.output, vhe.output)
        XCTAssertTrue(split.output.contains("PASS PSCI 1.0 over HVC"))
    }

    func testSplitModeSwitchesEL1StateOnEveryExitAndVHEDoesNot() throws {
        let split = try GuestRun("microbench", mode: .nvhe, x0: 1)
        let vhe = try GuestRun("microbench", mode: .vhe, x0: 1)
        let splitHVC = split.exits.filter { $0.kind == "HVC64" }
        let vheHVC = vhe.exits.filter { $0.kind == "HVC64" }
        XCTAssertEqual(splitHVC.count, MicroBenchmark.iterations + 1)
        XCTAssertEqual(vheHVC.count, MicroBenchmark.iterations + 1)
        let el1 = SystemRegister.el1Context.count
        for r in splitHVC {
            // Guest EL1 state saved and host's restored on the way out, and the reverse on the way in.
            XCTAssertGreaterThanOrEqual(r.counts.total(.sysregReadEL1), 2 * el1)
            XCTAssertGreaterThanOrEqual(r.counts.total(.sysregWriteEL1), 2 * el1)
            XCTAssertEqual(r.counts.total(.eretToHost), 1, "the double trap: ERET to the highvisor")
            XCTAssertEqual(r.counts.total(.hvcToEL2), 1, "and HVC back to the lowvisor")
        }
        for r in vheHVC {
            // Only MDSCR_EL1 is switched per exit; EL1 state stays loaded.
            XCTAssertLessThanOrEqual(r.counts.total(.sysregReadEL1), 1)
            XCTAssertLessThanOrEqual(r.counts.total(.sysregWriteEL1), 1)
            XCTAssertEqual(r.counts.total(.eretToHost), 0)
            XCTAssertEqual(r.counts.total(.hvcToEL2), 0)
        }
    }

    func testVHEExitsTouchTheVGICOnlyWhileListRegistersAreInUse() throws {
        let gicAccesses = { (r: ExitRecord) in r.counts.total(.listRegisterRead) + r.counts.total(.listRegisterWrite) }
        // A hypercall with no interrupt in flight: VHE leaves the vGIC alone
        // (ICH_VMCR_EL2 goes with vcpu_load/put); split mode switches ICH_VMCR_EL2 on every exit.
        let vheHVC = try GuestRun("microbench", mode: .vhe, x0: 1).exits.filter { $0.kind == "HVC64" }
        let splitHVC = try GuestRun("microbench", mode: .nvhe, x0: 1).exits.filter { $0.kind == "HVC64" }
        XCTAssertFalse(vheHVC.isEmpty)
        for r in vheHVC { XCTAssertEqual(gicAccesses(r), 0) }
        for r in splitHVC {
            XCTAssertEqual(r.counts[.listRegisterRead, .save], 1, "ICH_VMCR_EL2 saved")
            XCTAssertEqual(r.counts[.listRegisterWrite, .restore], 1, "ICH_VMCR_EL2 restored")
        }

        // The vtimer guest waits for its timer in WFI three times.
        let wfi = try GuestRun("vtimer", mode: .vhe).exits.filter { $0.kind == "WFx" }
        XCTAssertEqual(wfi.count, 3)
        // The first: no LR in use on the way out; blocking puts the vCPU and
        // waking loads it (ICH_VMCR_EL2 read, then written); it is entered again
        // with the timer interrupt in LR0 (ICH_HCR_EL2 and LR0 written).
        XCTAssertEqual(wfi[0].counts[.listRegisterRead, .save] + wfi[0].counts[.listRegisterWrite, .save], 0)
        XCTAssertEqual(wfi[0].counts[.listRegisterRead, .handler], 1)
        XCTAssertEqual(wfi[0].counts[.listRegisterWrite, .handler], 1)
        XCTAssertEqual(wfi[0].counts[.listRegisterWrite, .restore], 2)
        // The next: LR0 is saved, but the guest has deactivated the interrupt, so
        // ICH_ELRSR_EL2 says it is empty and it is not read; ICH_HCR_EL2 and LR0 are cleared.
        XCTAssertEqual(wfi[1].counts[.listRegisterRead, .save], 1)
        XCTAssertEqual(wfi[1].counts[.listRegisterWrite, .save], 2)
    }

    func testSplitModeHypercallCostsSeveralTimesTheVHEOneUnderTheA57Profile() throws {
        let split = try GuestRun("microbench", mode: .nvhe, x0: 1)
        let vhe = try GuestRun("microbench", mode: .vhe, x0: 1)
        let s = split.vm.ledger.byKind["HVC64"]!, v = vhe.vm.ledger.byKind["HVC64"]!
        let splitMean = Double(s.cycles) / Double(s.count), vheMean = Double(v.cycles) / Double(v.count)
        XCTAssertGreaterThan(splitMean / vheMean, 3, "split \(splitMean) vs VHE \(vheMean)")
        // The cost is the profile applied to the counts, nothing else.
        let p = CostProfile.cortexA57
        XCTAssertEqual(s.cycles, p.price(s.counts).reduce(0, +))
        // The guest sees the cost on its own virtual counter.
        XCTAssertTrue(split.output.contains("hypercall ticks/op="))
        let ticks = { (o: String) in Int(o.split(separator: "=")[1].prefix { $0.isNumber })! }
        let splitTicks = ticks(split.output.split(separator: "\n").first { $0.hasPrefix("hypercall") }.map(String.init)!)
        let vheTicks = ticks(vhe.output.split(separator: "\n").first { $0.hasPrefix("hypercall") }.map(String.init)!)
        XCTAssertGreaterThan(splitTicks, 3 * vheTicks)
    }

    func testXGeneProfilePricesTheSameCountsDifferently() throws {
        let a57 = try GuestRun("microbench", mode: .nvhe, x0: 1)
        let xg = try GuestRun("microbench", mode: .nvhe, x0: 1) { $0.profile = .xGene }
        XCTAssertEqual(a57.exits.first { $0.kind == "HVC64" }?.counts, xg.exits.first { $0.kind == "HVC64" }?.counts)
        XCTAssertNotEqual(a57.vm.ledger.totalCycles, xg.vm.ledger.totalCycles)
    }
}
