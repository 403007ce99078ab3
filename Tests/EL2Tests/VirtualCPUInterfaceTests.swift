import AArch64
@testable import EL2
import XCTest

/// The GICv3 virtual CPU interface's own bookkeeping, as the guest's ICC_* writes drive it.
final class VirtualCPUInterfaceTests: XCTestCase {
    func testEOICountCountsUnmatchedEOIsInItsFiveBitsAndIgnoresSpecialINTIDs() {
        let g = VirtualCPUInterface()
        g.write(.ICH_HCR_EL2, 1)   // En
        // 33 EOIs of an INTID no list register holds: EOIcount[31:27] wraps to 1.
        for _ in 0..<33 { g.guestWrite(.ICC_EOIR1_EL1, 42) }
        XCTAssertEqual(g.read(.ICH_HCR_EL2), 1 << 27 | 1, "EOIcount 33 mod 32, En kept, nothing above bit 31")
        // An EOI of the spurious INTID (kvm-unit-tests' eoi benchmark) is ignored.
        g.guestWrite(.ICC_EOIR1_EL1, 1023)
        XCTAssertEqual(g.read(.ICH_HCR_EL2) >> 27, 1)
    }
}
