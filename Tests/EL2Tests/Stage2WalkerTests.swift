import AArch64
@testable import EL2
import XCTest

/// The stage-2 walker on hand-written descriptors in host memory.
final class Stage2WalkerTests: XCTestCase {
    let tables: UInt64 = 0x7_0000_0000

    func processor(vtcr: VTCR) throws -> (Processor, HostMemory) {
        let memory = HostMemory()
        try memory.add(base: tables, size: 1 << 20)
        let cpu = try Processor(memory: memory)
        cpu.beginAtEL2(hcr: [.VM, .RW])
        cpu.write(.VTCR_EL2, vtcr.raw)
        cpu.write(.VTTBR_EL2, VTTBR(baseAddress: tables, vmid: 7).raw)
        return (cpu, memory)
    }

    func testFortyBitIPAIndexesTwoConcatenatedLevel1Tables() throws {
        let (cpu, memory) = try processor(vtcr: .kvm40BitIPA)
        // IPA bit 39 selects the second 4 KiB level-1 table: entry 512 overall.
        let ipa: UInt64 = 1 << 39 | 0x4000_0000
        memory.write64(tables + 513 * 8, Stage2Descriptor.leaf(0x8_0000_0000, isPage: false, write: false).raw)   // 1 GiB block
        guard case .mapped(let m) = cpu.stage2Walk(ipa &+ 0x1234) else { return XCTFail() }
        XCTAssertEqual(m.level, 1)
        XCTAssertEqual(m.size, 1 << 30)
        XCTAssertEqual(m.ipaBase, ipa)
        XCTAssertEqual(m.paBase, 0x8_0000_0000)
        XCTAssertFalse(m.writable)
        XCTAssertEqual(cpu.operationTotals()[.stage2WalkStep], 1)
        XCTAssertEqual(cpu.stage2Translate(ipa, .write), .fault(.permission(level: 1)))
        XCTAssertEqual(cpu.stage2Walk(0x4000_0000), .fault(.translation(level: 1)), "entry 1 is empty")
        XCTAssertEqual(cpu.stage2Walk(1 << 40), .fault(.translation(level: 1)), "beyond the 40-bit IPA space")
    }

    func testTableTableAndPageWithAccessFlagAndExecuteNever() throws {
        let (cpu, memory) = try processor(vtcr: .kvm40BitIPA)
        let l2 = tables + 0x2000, l3 = tables + 0x3000
        memory.write64(tables + 1 * 8, Stage2Descriptor.table(l2).raw)
        memory.write64(l2 + 5 * 8, Stage2Descriptor.table(l3).raw)
        memory.write64(l3 + 7 * 8, Stage2Descriptor.leaf(0x9_0000_7000, isPage: true, executeNever: true).raw)
        memory.write64(l3 + 8 * 8, Stage2Descriptor.leaf(0x9_0000_8000, isPage: true, accessFlag: false).raw)
        let ipa: UInt64 = 0x4000_0000 | 5 << 21 | 7 << 12
        guard case .mapped(let m) = cpu.stage2Walk(ipa | 0x10) else { return XCTFail() }
        XCTAssertEqual([m.level, Int(m.size)], [3, 4096])
        XCTAssertEqual(m.paBase, 0x9_0000_7000)
        XCTAssertEqual(cpu.operationTotals()[.stage2WalkStep], 3, "one step per level read")
        XCTAssertEqual(cpu.stage2Translate(ipa, .fetch), .fault(.permission(level: 3)))
        XCTAssertEqual(cpu.stage2Walk(ipa + 0x1000), .fault(.accessFlag(level: 3)))
        XCTAssertEqual(cpu.stage2Walk(ipa + 0x2000), .fault(.translation(level: 3)))
        XCTAssertEqual(cpu.stage2Walk(0x4000_0000 | 6 << 21), .fault(.translation(level: 2)))
    }

    func testThirtyTwoBitIPAStartsAtLevel2WithFourTables() throws {
        let (cpu, memory) = try processor(vtcr: .ipa32BitLevel2)
        // 0xC000_0000: IPA bits [31:21] = 0x600: the fourth concatenated table, entry 0.
        memory.write64(tables + 0x600 * 8, Stage2Descriptor.leaf(0x8_0020_0000, isPage: false).raw)
        guard case .mapped(let m) = cpu.stage2Walk(0xC000_0042) else { return XCTFail() }
        XCTAssertEqual([m.level, Int(m.size)], [2, 1 << 21])
        XCTAssertEqual(m.paBase, 0x8_0020_0000)
        XCTAssertEqual(cpu.stage2Walk(0x1_0000_0000), .fault(.translation(level: 2)), "beyond 32 bits")
    }

    func testStage2OffIsIdentity() throws {
        let (cpu, _) = try processor(vtcr: .kvm40BitIPA)
        cpu.write(.HCR_EL2, HCR.RW.rawValue)
        XCTAssertEqual(cpu.stage2Translate(0x1234_5678, .write),
                       .mapped(Stage2Mapping(ipaBase: 0x1234_5000, paBase: 0x1234_5000, size: 4096, level: 3, readable: true, writable: true, executable: true)))
    }
}
