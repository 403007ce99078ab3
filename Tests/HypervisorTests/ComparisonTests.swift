import AArch64
import EL2
import GuestBuild
@testable import Hypervisor
import XCTest

/// `el2emu compare`'s per-operation figures cover the timed loop only, as
/// kvm-unit-tests' micro-bench times only its loop.
final class ComparisonTests: XCTestCase {
    func testPerOperationCostsCountOnlyTheTimedOperations() throws {
        let c = Configuration()
        let image = try GuestImage.load(path: FirmwareBuilder().build("microbench").path, ramBase: c.ramBase, ramSize: c.ramSize)
        let rows = Comparison.run(image: image, base: c, benchmarks: [.hypercall, .virtualEOI])
        for mode in VirtualizationMode.allCases {
            // One HVC per operation, priced as one hypercall exit of the guest:
            // the set-up's exits are not spread over the operations.
            let hypercall = try XCTUnwrap(rows[0].results[mode]).get()
            XCTAssertEqual(hypercall.exitsPerOperation, 1, accuracy: 1e-9, "\(mode)")
            let hvc = try XCTUnwrap(GuestRun("microbench", mode: mode, x0: 1).exits.last { $0.kind == "HVC64" })
            XCTAssertEqual(hypercall.cyclesPerOperation, Double(hvc.cycles), accuracy: 1e-6, "\(mode)")
            // The virtual CPU interface serves the EOI: no exit, nothing for the hypervisor to price.
            let eoi = try XCTUnwrap(rows[1].results[mode]).get()
            XCTAssertEqual(eoi.exitsPerOperation, 0, "\(mode)")
            XCTAssertEqual(eoi.cyclesPerOperation, 0, "\(mode)")
        }
    }
}
