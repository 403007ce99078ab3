import CostModel
import EL2
import GuestBuild
@testable import Hypervisor
import XCTest

/// What the PE reports reaches the ledger priced, in the phase the hardware
/// event begins: every exit of a real guest starts with its trap in the
/// entry phase and ends with its ERET in the eret phase.
final class MeteringTests: XCTestCase {
    func testEveryHardwareOperationHasAPricedName() {
        for op in HardwareOperation.allCases {
            XCTAssertGreaterThan(CostProfile.cortexA57[PricedOperation(op)], 0, "\(op) is free")
        }
    }

    func testEachExitBooksItsTrapToEntryAndItsERETToEret() throws {
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("hello", mode: mode)
            XCTAssertFalse(run.exits.isEmpty)
            for e in run.exits where e.returnPC != nil {
                XCTAssertEqual(e.counts[.trapToEL2, .entry], 1, "\(mode) \(e.kind)")
                XCTAssertEqual(e.counts.total(.trapToEL2), 1)
                XCTAssertEqual(e.counts[.eret, .eret], 1, "\(mode) \(e.kind)")
                XCTAssertEqual(e.counts.total(.eret), 1)
                XCTAssertGreaterThan(e.counts.total(.gprSave), 0, "the vector saved the guest's GPRs")
            }
        }
    }
}

/// Every priced operation is one some real guest makes the hypervisor
/// perform: an operation with a price that nothing counts (as `barrier`
/// was) fails here.
final class PricedOperationUseTests: XCTestCase {
    func testEveryPricedOperationIsPerformedByARealGuest() throws {
        var seen = Set<PricedOperation>()
        func note(_ run: GuestRun) {
            for e in run.exits { for op in PricedOperation.allCases where e.counts.total(op) > 0 { seen.insert(op) } }
        }
        for mode in VirtualizationMode.allCases {
            for b in MicroBenchmark.allCases { note(try GuestRun("microbench", mode: mode, x0: UInt64(b.rawValue))) }
            // Stage-2 faults the test service provokes (write-protected pages, TLBIs after remapping).
            var c = Configuration()
            c.mode = mode
            c.demandPaging = true
            c.maxInstructions = 50_000_000
            let vm = try VirtualMachine(c)
            vm.testHypercall = vm.stage2TestService
            let image = try GuestImage.load(path: FirmwareBuilder().build("stage2_faults").path, ramBase: c.ramBase, ramSize: c.ramSize)
            try vm.load(image)
            vm.events.observers.append { e in
                if case .exit(let r) = e { for op in PricedOperation.allCases where r.counts.total(op) > 0 { seen.insert(op) } }
            }
            XCTAssertEqual(vm.run(entry: image.entry), .guestExit(status: 0, how: "semihosting SYS_EXIT"))
        }
        XCTAssertEqual(PricedOperation.allCases.filter { !seen.contains($0) }, [], "priced, never performed")
    }
}
