import AArch64
import XCTest

/// The named fields decode what they name: each from a value built bit by
/// bit as the Arm ARM lays the register out.
final class RegisterFieldTests: XCTestCase {
    func testListRegisterFieldsDecodeTheirBits() {
        // vINTID 27, pINTID 27, HW, Group 1, priority 0xA0, pending.
        let lr: UInt64 = 0b01 << 62 | 1 << 61 | 1 << 60 | 0xA0 << 48 | 27 << 32 | 27
        XCTAssertEqual(ListRegister.vINTID(lr), 27)
        XCTAssertEqual(ListRegister.pINTID(lr), 27)
        XCTAssertEqual(ListRegister.priority(lr), 0xA0)
        XCTAssertEqual(lr & ListRegister.State, ListRegister.pendingBit)
        XCTAssertNotEqual(lr & ListRegister.HW, 0)
        XCTAssertNotEqual(lr & ListRegister.Group, 0)
        XCTAssertEqual(lr & ListRegister.EOI, 0)
        XCTAssertEqual(ListRegister.pendingBit | ListRegister.activeBit, ListRegister.State)
    }

    func testSGI1RTargetsByListRangeOrAllButTheSender() {
        // INTID 3 to Aff0 1 and 2 (RS 0).
        let listed = SGI1R(3 << 24 | 0b110)
        XCTAssertEqual(listed.intid, 3)
        XCTAssertEqual((0..<4).filter { listed.targets(aff0: UInt64($0), isSender: $0 == 1) }, [1, 2])
        // RS 1: the list names Aff0 16-31.
        let ranged = SGI1R(1 << 44 | 1)
        XCTAssertEqual((0..<20).filter { ranged.targets(aff0: UInt64($0), isSender: false) }, [16])
        // IRM: everyone but the sender, whatever the list says.
        let broadcast = SGI1R(1 << 40)
        XCTAssertEqual((0..<4).filter { broadcast.targets(aff0: UInt64($0), isSender: $0 == 2) }, [0, 1, 3])
        // A non-zero Aff1 names PEs that do not exist.
        XCTAssertFalse(SGI1R(1 << 16 | 0xFFFF).targets(aff0: 0, isSender: false))
    }

    func testResetValuesAreTheirRES1BitLists() {
        func bits(_ list: [UInt64]) -> UInt64 { list.reduce(0) { $0 | 1 << $1 } }
        XCTAssertEqual(SCTLR.EL2RES1, bits([4, 5, 11, 16, 18, 22, 23, 28, 29]))
        XCTAssertEqual(SCTLR.EL1RES1, bits([11, 20, 22, 23, 28, 29]))
        XCTAssertEqual(CPTR.RES1.rawValue, bits([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13]))
        XCTAssertEqual(CPTR.default, [.RES1, .TZ])
        XCTAssertTrue(CPTR.default.isDisjoint(with: [.TFP, .TTA, .TCPAC]), "FP/SIMD, trace and CPACR are not trapped")
    }
}
