import AArch64
import Trace
import XCTest

/// ESR_EL2 decoding against the field layouts of the Arm ARM (D17.2.37).
final class SyndromeDecoderTests: XCTestCase {
    func testDataAbortWithValidSyndromeNamesAccessRegisterSizeFaultAndLevel() {
        // ISV=1, SAS=0b10 (word), SRT=1, WnR=1, DFSC=0b000111 (translation fault, level 3).
        let esr = ExceptionSyndrome(ec: .dataAbortLowerEL, iss: 1 << 24 | 2 << 22 | 1 << 16 | 1 << 6 | 0b000111)
        XCTAssertEqual(SyndromeDecoder.summary(esr), "DABT_LOW write x1 size=4 translation fault level 3")
        let f = Dictionary(uniqueKeysWithValues: SyndromeDecoder.fields(esr))
        XCTAssertEqual(f["fault"], .string("translation"))
        XCTAssertEqual(f["level"], .int(3))
        XCTAssertEqual(f["write"], .bool(true))
        XCTAssertEqual(f["size"], .int(4))
        XCTAssertEqual(f["rt"], .int(1))
    }

    func testDataAbortWithoutValidSyndromeOmitsTheRegister() {
        // ISV=0, read, DFSC=0b001101 (permission fault, level 1).
        let esr = ExceptionSyndrome(ec: .dataAbortLowerEL, iss: 0b001101)
        XCTAssertEqual(SyndromeDecoder.summary(esr), "DABT_LOW read permission fault level 1")
        let f = Dictionary(uniqueKeysWithValues: SyndromeDecoder.fields(esr))
        XCTAssertEqual(f["isv"], .bool(false))
        XCTAssertNil(f["size"])
    }

    func testInstructionAbortAccessFlagFault() {
        let esr = ExceptionSyndrome(ec: .instructionAbortLowerEL, iss: 0b001010)
        XCTAssertEqual(SyndromeDecoder.summary(esr), "IABT_LOW fetch access flag fault level 2")
    }

    func testSystemRegisterTrapsReadAsAssembler() {
        XCTAssertEqual(SyndromeDecoder.summary(.sys64(.SCTLR_EL1, rt: 3, isRead: false)), "SYS64 MSR SCTLR_EL1, x3")
        XCTAssertEqual(SyndromeDecoder.summary(.sys64(.TTBR0_EL1, rt: 31, isRead: true)), "SYS64 MRS xzr, TTBR0_EL1")
    }

    func testImmediatesAndWFx() {
        XCTAssertEqual(SyndromeDecoder.summary(.hvc(imm16: 0x4711)), "HVC64 #0x4711")
        XCTAssertEqual(SyndromeDecoder.summary(.smc(imm16: 0)), "SMC64 #0x0")
        XCTAssertEqual(SyndromeDecoder.summary(.wfx(isWFE: true)), "WFx WFE")
        XCTAssertEqual(SyndromeDecoder.summary(.wfx(isWFE: false)), "WFx WFI")
        XCTAssertEqual(SyndromeDecoder.summary(ExceptionSyndrome(raw: 0x3F << 26 | 5)), "EC_0x3f iss=0x5")
    }
}
