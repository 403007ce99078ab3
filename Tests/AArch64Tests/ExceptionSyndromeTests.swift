import AArch64
import XCTest

/// Syndromes built field by field, checked against hand-assembled values from the Arm ARM's layouts.
final class ExceptionSyndromeTests: XCTestCase {
    func testHVCSyndromeCarriesImm16() {
        let e = ExceptionSyndrome.hvc(imm16: 0x1234)
        XCTAssertEqual(e.raw, 0x5A00_1234)   // EC 0x16 << 26 | IL | imm16
        XCTAssertEqual(e.ec, .hvc64)
        XCTAssertTrue(e.il)
    }

    func testSYS64SyndromeForMSRSCTLR_EL1WithX3() {
        // MSR SCTLR_EL1, x3: Op0=3 Op2=0 Op1=0 CRn=1 Rt=3 CRm=0 Dir=0
        let e = ExceptionSyndrome.sys64(.SCTLR_EL1, rt: 3, isRead: false)
        XCTAssertEqual(e.iss, 3 << 20 | 1 << 10 | 3 << 5)
        XCTAssertEqual(e.sysRegister, .SCTLR_EL1)
        XCTAssertEqual(e.sysRt, 3)
        XCTAssertFalse(e.sysIsRead)
    }

    func testWFxSyndromeHasCVCondAndTI() {
        XCTAssertEqual(ExceptionSyndrome.wfx(isWFE: false).iss, 0x1E0_0000)
        XCTAssertEqual(ExceptionSyndrome.wfx(isWFE: true).iss, 0x1E0_0001)
    }

    func testInstructionDecoderRecognisesTheTrappingClasses() {
        XCTAssertEqual(Instruction(0xD400_0002 | 5 << 5), .hvc(imm16: 5))
        XCTAssertEqual(Instruction(0xD503_207F), .wfi)
        XCTAssertEqual(Instruction(0xD503_43DF), .msrDAIFSet([.i, .f]))
        XCTAssertEqual(Instruction(0xD518_1003), .systemRegister(.SCTLR_EL1, rt: 3, isRead: false))
        XCTAssertEqual(Instruction(0xD538_0400), .systemRegister(.ID_AA64PFR0_EL1, rt: 0, isRead: true))
        XCTAssertEqual(SystemRegister.ICH_LR_EL2(9).description, "ICH_LR9_EL2")
        XCTAssertEqual(SystemRegister.SCTLR_EL1.el12Alias.description, "SCTLR_EL12")
    }
}
