import AArch64
import XCTest

/// Stage-2 ISA facts against the Arm ARM's encodings.
final class Stage2FactsTests: XCTestCase {
    func testStage2DescriptorKindsDependOnLevel() {
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0003).kind(atLevel: 1), .table)
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0003).kind(atLevel: 3), .page)
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0001).kind(atLevel: 2), .block)
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0001).kind(atLevel: 0), .invalid, "no level-0 blocks with 4 KiB")
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0001).kind(atLevel: 3), .invalid, "0b01 at level 3 is reserved")
        XCTAssertEqual(Stage2Descriptor(raw: 0x4000_0000).kind(atLevel: 1), .invalid)
    }

    func testStage2LeafFieldsS2APXNAFMemAttr() {
        let d = Stage2Descriptor.leaf(0x8_0020_0000, isPage: false, read: true, write: false, executeNever: true)
        // block | MemAttr 0b1111 << 2 | S2AP read (bit 6) | SH inner (3 << 8) | AF (bit 10) | XN (bit 54)
        let expected: UInt64 = 0x8_0020_0000 | 1 | 0xF << 2 | 1 << 6 | 3 << 8 | 1 << 10 | 1 << 54
        XCTAssertEqual(d.raw, expected)
        XCTAssertTrue(d.readable)
        XCTAssertFalse(d.writable)
        XCTAssertTrue(d.executeNever)
        XCTAssertTrue(d.accessFlag)
        XCTAssertEqual(d.memAttr, 0xF)
        XCTAssertEqual(d.outputAddress, 0x8_0020_0000)
        XCTAssertEqual(Stage2Descriptor.table(0x7_F000_1234).raw, 0x7_F000_1003)
    }

    func testVTCRKVMLayoutIs40BitIPAFromLevel1WithTwoConcatenatedTables() {
        let v = VTCR.kvm40BitIPA
        XCTAssertEqual(v.t0sz, 24)
        XCTAssertEqual(v.sl0, 1)
        XCTAssertEqual(v.inputBits, 40)
        XCTAssertEqual(v.startLevel, 1)
        XCTAssertEqual(v.concatenatedTables, 2)
        XCTAssertEqual(v.tg0, 0)
        XCTAssertEqual(VTCR.ipa32BitLevel2.startLevel, 2)
        XCTAssertEqual(VTCR.ipa32BitLevel2.concatenatedTables, 4)
        XCTAssertNil(VTCR(t0sz: 16, sl0: 0).concatenatedTables, "48 bits cannot start at level 2")
        XCTAssertNil(VTCR(t0sz: 24, sl0: 3).startLevel, "SL0 = 3 is reserved with 4 KiB")
    }

    func testVTTBRFields() {
        let t = VTTBR(baseAddress: 0x7_F000_2000, vmid: 0x5A)
        XCTAssertEqual(t.raw, 0x005A_0007_F000_2000)
        XCTAssertEqual(t.vmid, 0x5A)
        XCTAssertEqual(t.baseAddress, 0x7_F000_2000)
    }

    func testHPFARHoldsFaultingIPAPage() {
        XCTAssertEqual(HPFAR.encode(ipa: 0x0A00_0123), 0x0A00_0000 >> 8)
        XCTAssertEqual(HPFAR.pageIPA(HPFAR.encode(ipa: 0xFF_FFFF_F123)), 0xFF_FFFF_F000)
    }

    func testLoadStoreDecodesSizeSignRegisterAndAddressing() throws {
        // ldrb w1, [x2]
        var ls = try XCTUnwrap(LoadStore(0x3940_0041))
        XCTAssertEqual([ls.size, ls.rt, ls.rn], [1, 1, 2]); XCTAssertTrue(ls.isLoad); XCTAssertFalse(ls.signExtend); XCTAssertFalse(ls.sixtyFourBit)
        XCTAssertTrue(ls.syndromeValid)
        // ldrsh x3, [x4, #6]
        ls = try XCTUnwrap(LoadStore(0x7980_0C83))
        XCTAssertEqual(ls.size, 2); XCTAssertTrue(ls.signExtend); XCTAssertTrue(ls.sixtyFourBit); XCTAssertEqual(ls.addressing, .offset(6))
        // ldrsw x5, [x6]
        ls = try XCTUnwrap(LoadStore(0xB980_00C5))
        XCTAssertEqual(ls.size, 4); XCTAssertTrue(ls.signExtend); XCTAssertTrue(ls.sixtyFourBit)
        // ldrsb w7, [x8]
        ls = try XCTUnwrap(LoadStore(0x39C0_0107))
        XCTAssertTrue(ls.signExtend); XCTAssertFalse(ls.sixtyFourBit)
        // str xzr, [x16, #0x200]
        ls = try XCTUnwrap(LoadStore(0xF901_021F))
        XCTAssertFalse(ls.isLoad); XCTAssertEqual(ls.rt, 31); XCTAssertEqual(ls.size, 8); XCTAssertEqual(ls.addressing, .offset(0x200))
        // ldar w1, [x2]
        ls = try XCTUnwrap(LoadStore(0x88DF_FC41))
        XCTAssertTrue(ls.acquireRelease); XCTAssertTrue(ls.syndromeValid); XCTAssertEqual(ls.size, 4)
        // ldxr x1, [x2]: exclusive, no syndrome
        ls = try XCTUnwrap(LoadStore(0xC85F_7C41))
        XCTAssertTrue(ls.isExclusive); XCTAssertFalse(ls.syndromeValid)
        // str x1, [x0, #8]! : writeback, no syndrome
        ls = try XCTUnwrap(LoadStore(0xF800_8C01))
        XCTAssertEqual(ls.addressing, .preIndex(8)); XCTAssertFalse(ls.syndromeValid)
        // ldr x1, [x0], #-16
        ls = try XCTUnwrap(LoadStore(0xF85F_0401))
        XCTAssertEqual(ls.addressing, .postIndex(-16))
        // ldp x1, x2, [x0, #16]
        ls = try XCTUnwrap(LoadStore(0xA941_0801))
        XCTAssertTrue(ls.isPair); XCTAssertEqual(ls.rt2, 2); XCTAssertEqual(ls.addressing, .offset(16)); XCTAssertFalse(ls.syndromeValid)
        // ldr w1, [x2, w3, sxtw #2]
        ls = try XCTUnwrap(LoadStore(0xB8A3_D841))
        XCTAssertEqual(ls.addressing, .register(rm: 3, extend: 6, shift: 2))
        XCTAssertEqual(ls.address(pc: 0, sp: 0) { [2: 0x1000, 3: 0xFFFF_FFFF][$0] ?? 0 }, 0x1000 &- 4)
        // prfm is not an access
        XCTAssertNil(LoadStore(0xF980_0000))
        XCTAssertNil(LoadStore(0xD400_0002), "HVC is not a load/store")
    }

    func testDataAbortSyndromeFields() throws {
        let ls = try XCTUnwrap(LoadStore(0x7980_0C83))   // ldrsh x3, [x4, #6]
        let esr = ExceptionSyndrome.dataAbort(status: .translation(level: 2), isWrite: false, access: ls)
        XCTAssertEqual(esr.ec, .dataAbortLowerEL)
        // ISV | SAS=1 | SSE | SRT=3 | SF | DFSC=0b000110
        let iss: UInt32 = 1 << 24 | 1 << 22 | 1 << 21 | 3 << 16 | 1 << 15 | 0b000110
        XCTAssertEqual(esr.iss, iss)
        XCTAssertEqual(esr.raw, 0x9363_8006)
        let pair = ExceptionSyndrome.dataAbort(status: .permission(level: 3), isWrite: true, access: LoadStore(0xA941_0801))
        XCTAssertFalse(pair.isv)
        let pairISS: UInt32 = 1 << 6 | 0b001111
        XCTAssertEqual(pair.iss, pairISS)
        let ptw = ExceptionSyndrome.dataAbort(status: .translation(level: 3), isWrite: false, access: ls, s1ptw: true)
        XCTAssertTrue(ptw.s1ptw); XCTAssertFalse(ptw.isv)
        let iabt = ExceptionSyndrome.instructionAbort(status: .permission(level: 3))
        XCTAssertEqual(iabt.raw, 0x8200_000F)
        XCTAssertEqual(FaultStatus(code: 0b001011), .accessFlag(level: 3))
        XCTAssertEqual(FaultStatus.synchronousExternal.code, 0x10)
    }
}
