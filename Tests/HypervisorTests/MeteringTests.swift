import CostModel
import EL2
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
