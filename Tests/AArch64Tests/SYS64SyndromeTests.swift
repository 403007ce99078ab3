import AArch64
import XCTest

/// ESR_ELx for a trapped MSR/MRS/SYS (EC 0x18), against the Arm ARM's field layout.
final class SYS64SyndromeTests: XCTestCase {
    func testMSRToSCTLRWithX3EncodesEveryField() {
        // MSR SCTLR_EL1, X3: Op0=3 Op2=0 Op1=0 CRn=1 Rt=3 CRm=0 Dir=0.
        let esr = ExceptionSyndrome.sys64(.SCTLR_EL1, rt: 3, isRead: false)
        XCTAssertEqual(esr.raw, 0x18 << 26 | 1 << 25 | 3 << 20 | 1 << 10 | 3 << 5)
        XCTAssertEqual(esr.ec, .sys64)
        XCTAssertTrue(esr.il)
        XCTAssertEqual(esr.sysRegister, .SCTLR_EL1)
        XCTAssertEqual(esr.sysRt, 3)
        XCTAssertFalse(esr.sysIsRead)
    }

    func testMRSOfIDRegisterSetsDirection() {
        // MRS X7, ID_AA64PFR0_EL1 (3,0,0,4,0): CRm=4 at [4:1], Rt=7, Dir=1.
        let esr = ExceptionSyndrome.sys64(.ID_AA64PFR0_EL1, rt: 7, isRead: true)
        XCTAssertEqual(esr.iss, 3 << 20 | 7 << 5 | 4 << 1 | 1)
        XCTAssertEqual(esr.sysRegister, .ID_AA64PFR0_EL1)
        XCTAssertTrue(esr.sysIsRead)
    }

    func testSystemInstructionRoundTripsThroughTheDecoder() {
        // TLBI VAE1, X6 = SYS #0, C8, C7, #1, X6 = 0xD508_8726.
        guard case .system(let r, let rt) = Instruction(0xD508_8726) else { return XCTFail("not decoded as SYS") }
        XCTAssertEqual(r, SystemRegister(1, 0, 8, 7, 1))
        XCTAssertEqual(rt, 6)
        XCTAssertEqual(ExceptionSyndrome.sys64(r, rt: rt, isRead: false).iss, 1 << 20 | 1 << 17 | 8 << 10 | 6 << 5 | 7 << 1)
    }

    func testWFxSyndromeSeparatesWFIFromWFE() {
        XCTAssertEqual(ExceptionSyndrome.wfx(isWFE: false).raw, 0x01 << 26 | 1 << 25 | 1 << 24 | 0xE << 20)
        XCTAssertEqual(ExceptionSyndrome.wfx(isWFE: true).iss & 3, 1)
        XCTAssertTrue(ExceptionSyndrome.wfx(isWFE: true).wfxIsWFE)
    }
}
