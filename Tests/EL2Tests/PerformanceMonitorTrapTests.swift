import AArch64
@testable import EL2
import XCTest

/// MDCR_EL2.TPM traps every PMU register to EL2, TPMCR only PMCR_EL0; with
/// neither, the PE's own PMU serves them.
final class PerformanceMonitorTrapTests: XCTestCase {
    let pmccntr = SystemRegister(3, 3, 9, 13, 0), pmintenset = SystemRegister(3, 0, 9, 14, 1)
    let pmevtyper3 = SystemRegister(3, 3, 14, 12, 3)

    func testTPMTrapsThePMUAndTPMCROnlyPMCR() throws {
        let p = try Processor(memory: HostMemory())
        p.el2.mdcr = 1 << 6
        for r in [PerformanceMonitors.PMCR_EL0, pmccntr, pmintenset, pmevtyper3] {
            XCTAssertTrue(p.trapsToEL2(r, isRead: true), "\(r)")
            XCTAssertTrue(p.trapsToEL2(r, isRead: false), "\(r)")
        }
        XCTAssertFalse(p.trapsToEL2(.CNTV_CTL_EL0, isRead: true), "CRn 14, CRm 3: the timer, not the PMU")
        p.el2.mdcr = 1 << 5
        XCTAssertTrue(p.trapsToEL2(PerformanceMonitors.PMCR_EL0, isRead: false))
        XCTAssertFalse(p.trapsToEL2(pmccntr, isRead: true))
        p.el2.mdcr = 0
        XCTAssertFalse(p.trapsToEL2(PerformanceMonitors.PMCR_EL0, isRead: true))
        XCTAssertEqual(PerformanceMonitors.trappingMDCR, 1 << 6 | 1 << 5 | 4)
    }

    func testUntrappedAccessesReachThePEsOwnPMU() throws {
        let p = try Processor(memory: HostMemory())
        XCTAssertTrue(p.hardwareWrite(pmevtyper3, 0x11))
        XCTAssertEqual(p.hardwareRead(pmevtyper3), 0x11)
        XCTAssertEqual(p.hardwareRead(PerformanceMonitors.PMCR_EL0).map { $0 >> 11 & 0x1F }, 4)
    }
}
