import AArch64
import EL2
import GuestBuild
@testable import Hypervisor
import XCTest

/// Stage-2 translation, stage-2 faults and MMIO emulation, with real firmware guests.
final class Stage2Tests: XCTestCase {
    struct Run {
        let vm: VirtualMachine
        let reason: StopReason
        let exits: [ExitRecord]
        let notes: [String]
        var output: String { vm.output }
    }

    func run(_ guest: String, mode: VirtualizationMode = .nvhe, configure: (inout Configuration) -> Void = { _ in }) throws -> Run {
        var c = Configuration()
        c.mode = mode
        c.maxInstructions = 50_000_000
        configure(&c)
        let vm = try VirtualMachine(c)
        vm.testHypercall = vm.stage2TestService
        let img = try GuestImage.load(path: FirmwareBuilder().build(guest).path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        var exits: [ExitRecord] = [], notes: [String] = []
        vm.events.observers.append { e in
            if case .exit(let r) = e { exits.append(r) }
            if case .note(_, _, let n) = e { notes.append(n) }
        }
        let reason = vm.run(entry: img.entry)
        return Run(vm: vm, reason: reason, exits: exits, notes: notes)
    }

    func assertAllPass(_ r: Run, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), r.output, file: file, line: line)
        XCTAssertFalse(r.output.contains("FAIL"), r.output, file: file, line: line)
        XCTAssertTrue(r.output.contains("PASS"), r.output, file: file, line: line)
    }

    func mmioRecords(_ vm: VirtualMachine) -> [(GuestAbortRecord, String, UInt64, Bool, Int, UInt64)] {
        vm.guestAborts.compactMap { r in
            if case .mmio(let d, let off, let w, let size, let v) = r.resolution { return (r, d, off, w, size, v) }
            return nil
        }
    }

    // MARK: MMIO

    func testMMIOGuestPassesInBothModes() throws {
        for mode in VirtualizationMode.allCases {
            assertAllPass(try run("stage2_mmio", mode: mode))
        }
    }

    func testMMIOLoadSyndromesGiveSizeSignRegisterAndWidth() throws {
        let r = try run("stage2_mmio")
        let loads = mmioRecords(r.vm).filter { $0.1 == "testdev" && $0.2 == 0x100 && !$0.3 }
        // The first eleven loads of stage2_mmio.c, in order: (SAS, SSE, SF, AR, value the guest got).
        let expected: [(Int, Bool, Bool, Bool, UInt64)] = [
            (1, false, false, false, 0xFF), (2, false, false, false, 0xEEFF), (4, false, false, false, 0xCCDD_EEFF),
            (8, false, true, false, 0x8899_AABB_CCDD_EEFF), (1, true, false, false, 0xFFFF_FFFF),
            (1, true, true, false, .max), (2, true, false, false, 0xFFFF_EEFF), (2, true, true, false, 0xFFFF_FFFF_FFFF_EEFF),
            (4, true, true, false, 0xFFFF_FFFF_CCDD_EEFF), (4, false, false, true, 0xCCDD_EEFF), (8, false, true, true, 0x8899_AABB_CCDD_EEFF),
        ]
        XCTAssertGreaterThanOrEqual(loads.count, expected.count)
        for (i, e) in expected.enumerated() {
            let (rec, _, _, _, size, value) = loads[i]
            let esr = rec.esr
            XCTAssertEqual(esr.ec, .dataAbortLowerEL, "load \(i)")
            XCTAssertTrue(esr.isv, "load \(i)")
            XCTAssertFalse(esr.wnr, "load \(i)")
            XCTAssertEqual(esr.accessSize, e.0, "load \(i)")
            XCTAssertEqual(size, e.0, "load \(i)")
            XCTAssertEqual(esr.sse, e.1, "load \(i)")
            XCTAssertEqual(esr.sf, e.2, "load \(i)")
            XCTAssertEqual(esr.ar, e.3, "load \(i)")
            XCTAssertEqual(value, e.4, "load \(i)")
            XCTAssertEqual(esr.faultStatus, .translation(level: 1), "load \(i): no level-2 table covers the devices' gigabyte")
            XCTAssertEqual(rec.far, 0x0A00_0100)
            XCTAssertEqual(rec.hpfar, 0x0A00_0000 >> 8)
            XCTAssertEqual(rec.ipa, 0x0A00_0100)
        }
    }

    func testMMIOLoadsAndStoresReportEveryRegisterIncludingXZR() throws {
        let r = try run("stage2_mmio")
        let recs = mmioRecords(r.vm)
        let loadRegs = Set(recs.filter { $0.1 == "testdev" && $0.2 == 0x100 && !$0.3 && $0.4 == 8 }.map { $0.0.esr.srt })
        XCTAssertEqual(loadRegs, Set(0...31), "ldr into x0...x30 and xzr")
        let stores = recs.filter { $0.1 == "testdev" && $0.2 == 0x200 && $0.3 }
        XCTAssertEqual(Set(stores.map { $0.0.esr.srt }), Set(0...31))
        for s in stores {
            XCTAssertTrue(s.0.esr.wnr)
            XCTAssertEqual(s.5, s.0.esr.srt == 31 ? 0 : 0x40 + UInt64(s.0.esr.srt), "str x\(s.0.esr.srt)")
        }
    }

    func testMMIOUserSpaceRegisterExitsToUserSpace() throws {
        let r = try run("stage2_mmio")
        let user = mmioRecords(r.vm).filter { $0.1 == "testdev" && $0.2 == 0x08 }
        XCTAssertEqual(user.count, 2)
        XCTAssertEqual(r.vm.ledger.byKind["DABT_LOW"].map { $0.counts.total(.ioUserReturn) }, 2 + 4,
                       "user-space exits: testdev +0x08 twice, PL031 four times")
    }

    func testMMIOWithoutSyndromeInjectsExternalAbort() throws {
        let r = try run("stage2_mmio")
        let injected = r.vm.guestAborts.filter {
            if case .externalAbortInjected = $0.resolution { return true }
            return false
        }
        XCTAssertEqual(injected.count, 4)
        // Load pair and pre-index store on the device: ISV=0.
        XCTAssertFalse(injected[0].esr.isv)
        XCTAssertFalse(injected[0].esr.wnr)
        XCTAssertEqual(injected[0].far, 0x0A00_0100)
        XCTAssertFalse(injected[1].esr.isv)
        XCTAssertTrue(injected[1].esr.wnr)
        XCTAssertEqual(injected[1].far, 0x0A00_0108)
        // An IPA with nothing: translation fault at level 1 (no table for 0-1 GiB).
        XCTAssertEqual(injected[2].far, 0x0B00_0000)
        XCTAssertEqual(injected[2].hpfar, 0x0B00_0000 >> 8)
        XCTAssertEqual(injected[2].esr.faultStatus, .translation(level: 1))
        XCTAssertTrue(injected[2].esr.isv)
        XCTAssertEqual(injected[3].far, 0x0B00_0010)
        XCTAssertTrue(injected[3].esr.wnr)
    }

    func testExternalAbortInjectionIsTraced() throws {
        let r = try run("stage2_mmio")
        XCTAssertEqual(r.notes.filter { $0.contains("external abort injected") }.count, 4)
        XCTAssertTrue(r.notes.contains { $0.contains("ISV=0") && $0.contains("0xa000100") }, "\(r.notes)")
    }

    func testEachStage2WalkStepOfAFaultIsCounted() throws {
        let r = try run("stage2_faults")
        let dabts = r.exits.filter { $0.kind == "DABT_LOW" }
        // MMIO at 0x0A00_0100: the level-1 descriptor is invalid, one read.
        let mmio = try XCTUnwrap(dabts.first { $0.esr?.faultStatus == .translation(level: 1) })
        XCTAssertEqual(mmio.counts[.stage2WalkStep, .entry], 1)
        // The read-only page: level 1 table, level 2 table, level 3 page.
        let ro = try XCTUnwrap(dabts.first { $0.esr?.faultStatus == .permission(level: 3) })
        XCTAssertEqual(ro.counts[.stage2WalkStep, .entry], 3)
        XCTAssertGreaterThanOrEqual(ro.counts.total(.tlbMaintenance), 2, "TLBI IPAS2E1IS and VMALLE1IS after restoring the page")
    }

    func testUARTOutputGoesThroughStage2Aborts() throws {
        let r = try run("hello")
        XCTAssertTrue(r.output.contains("PL011: hello"))
        XCTAssertEqual(mmioRecords(r.vm).filter { $0.1 == "pl011" && $0.2 == 0 && $0.3 }.count, "PL011: hello\n".count)
    }

    func testWithStage2OffGuestSeesHostPhysicalMemoryAndDevices() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("hello", mode: mode) { $0.hcrClear = [.VM] }
            assertAllPass(r)
            XCTAssertTrue(r.output.contains("PL011: hello"))
            XCTAssertTrue(r.vm.guestAborts.isEmpty, "no stage 2, no stage-2 aborts")
            XCTAssertEqual(r.vm.memslots.map(\.hostPA), [0x4000_0000], "RAM placed where the guest expects it")
        }
        let on = try run("hello")
        XCTAssertEqual(on.vm.memslots.map(\.hostPA), [0x8_0000_0000, 0x9_0000_0000], "with stage 2: two host regions, not identity")
        XCTAssertEqual(on.vm.memslots.map(\.ipa), [0x4000_0000, 0x4400_0000])
    }

    func testOtherVTCRLayoutThirtyTwoBitIPAFromLevel2() throws {
        let r = try run("stage2_mmio") { $0.vtcr = .ipa32BitLevel2 }
        assertAllPass(r)
        XCTAssertEqual(VTCR.ipa32BitLevel2.concatenatedTables, 4)
        // Level 2 is the start level: an unmapped device IPA faults there.
        XCTAssertEqual(mmioRecords(r.vm).first?.0.esr.faultStatus, .translation(level: 2))
    }

    // MARK: Faults with the guest's own MMU on

    func testFaultsGuestPassesInBothModes() throws {
        for mode in VirtualizationMode.allCases {
            assertAllPass(try run("stage2_faults", mode: mode))
        }
    }

    func testWriteToReadOnlyPageIsPermissionFaultWithSyndrome() throws {
        let r = try run("stage2_faults")
        let f = try XCTUnwrap(r.vm.guestAborts.first { $0.ipa & ~0xFFF == 0x4410_0000 })
        XCTAssertEqual(f.esr.ec, .dataAbortLowerEL)
        XCTAssertEqual(f.esr.faultStatus, .permission(level: 3))
        XCTAssertTrue(f.esr.wnr)
        XCTAssertTrue(f.esr.isv)
        XCTAssertEqual(f.esr.accessSize, 8)
        XCTAssertTrue(f.esr.sf)
        XCTAssertFalse(f.esr.s1ptw)
        XCTAssertEqual(f.far, 0x4410_0018)
        XCTAssertEqual(f.hpfar, 0x4410_0000 >> 8)
        XCTAssertEqual(f.resolution, .permissionsRestored)
    }

    func testFetchFromExecuteNeverPageIsInstructionAbort() throws {
        let r = try run("stage2_faults")
        let f = try XCTUnwrap(r.vm.guestAborts.first { $0.esr.ec == .instructionAbortLowerEL })
        XCTAssertEqual(f.esr.faultStatus, .permission(level: 3))
        XCTAssertFalse(f.esr.s1ptw)
        XCTAssertEqual(f.far, 0x4420_0000)
        XCTAssertEqual(f.pc, 0x4420_0000)
        XCTAssertEqual(f.hpfar, 0x4420_0000 >> 8)
        XCTAssertEqual(f.resolution, .permissionsRestored)
    }

    func testClearedAccessFlagIsAccessFlagFault() throws {
        let r = try run("stage2_faults")
        let f = try XCTUnwrap(r.vm.guestAborts.first { $0.resolution == .accessFlagSet })
        XCTAssertEqual(f.esr.faultStatus, .accessFlag(level: 3))
        XCTAssertFalse(f.esr.wnr)
        XCTAssertTrue(f.esr.isv)
        XCTAssertEqual(f.far, 0x4400_4020)
        XCTAssertEqual(HPFAR.pageIPA(f.hpfar), 0x4400_4000)
    }

    func testStage2FaultOnStage1TableWalkSetsS1PTW() throws {
        let r = try run("stage2_faults")
        let f = try XCTUnwrap(r.vm.guestAborts.first { $0.esr.s1ptw })
        XCTAssertEqual(f.esr.ec, .dataAbortLowerEL)
        XCTAssertEqual(f.esr.faultStatus, .translation(level: 3))
        XCTAssertFalse(f.esr.isv)
        XCTAssertEqual(f.far, 0x4400_2010, "FAR_EL2 is the guest VA of the access")
        XCTAssertEqual(HPFAR.pageIPA(f.hpfar), 0x4500_2000, "HPFAR_EL2 is the stage-1 table's page")
        XCTAssertEqual(f.resolution, .mappedOnDemand)
    }

    func testRemappedPageIsSeenOnlyAfterTLBIOrVMIDChange() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("stage2_faults", mode: mode)
            for line in ["remapped without TLBI: the old page is still seen", "after TLBI IPAS2E1IS: the new page is seen",
                         "remapped with TLBI: the new page at once", "third page remapped without TLBI: old page",
                         "after a VMID change: the new page"] {
                XCTAssertTrue(r.output.contains("PASS " + line), "\(mode): \(line)\n\(r.output)")
            }
        }
    }

    func testGuestStage1MappingWithVANotIPAStopsNamingUnicornVersion() throws {
        let r = try run("stage2_va_alias")
        let v = Processor.unicornVersion
        if v.major > 2 || v.major == 2 && v.minor >= 1 {
            // Unicorn 2.1 translates by physical address: the alias just works.
            XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), r.output)
            XCTAssertTrue(r.output.contains("PASS VA 0x80001000 reads IPA 0x40001000 through both stages"), r.output)
            return
        }
        guard case .error(let m) = r.reason else { return XCTFail("\(r.reason)") }
        XCTAssertTrue(m.contains("VA 0x80001000"), m)
        XCTAssertTrue(m.contains("IPA 0x40001000"), m)
        XCTAssertTrue(m.contains("Unicorn 2.1 or newer"), m)
    }

    // MARK: Demand paging

    func testDemandPagingMapsRAMOnFirstTouch() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("stage2_mmio", mode: mode) { $0.demandPaging = true }
            assertAllPass(r)
            let demand = r.vm.guestAborts.filter { $0.resolution == .mappedOnDemand }
            // Code, data and stack: one page each (the guest is small).
            XCTAssertGreaterThanOrEqual(demand.count, 3)
            let first = try XCTUnwrap(demand.first)
            XCTAssertEqual(first.esr.ec, .instructionAbortLowerEL, "the first fetch")
            XCTAssertEqual(first.far, 0x4008_0000)
            XCTAssertEqual(first.esr.faultStatus, .translation(level: 1), "empty tables: the walk stops at the start level")
            XCTAssertTrue(demand.dropFirst().allSatisfy { $0.esr.faultStatus == .translation(level: 3) })
            XCTAssertEqual(Set(demand.map { $0.ipa & ~0xFFF }).count, demand.count, "each page faults once")
        }
    }

    func testTransparentHugepageMapsTheWholeBlockOnFirstTouch() throws {
        for mode in VirtualizationMode.allCases {
            let pages = try run("stage2_mmio", mode: mode) { $0.demandPaging = true }
            let r = try run("stage2_mmio", mode: mode) { $0.demandPaging = true; $0.transparentHugepage = true }
            assertAllPass(r)
            XCTAssertEqual(r.output, pages.output, "the guest sees the same")
            let demand = r.vm.guestAborts.filter { $0.resolution == .mappedOnDemand }
            let first = try XCTUnwrap(demand.first)
            XCTAssertEqual(first.far, 0x4008_0000, "the first fetch")
            XCTAssertEqual(Set(demand.map { $0.ipa >> 21 }).count, demand.count, "each 2 MiB block faults once")
            XCTAssertLessThan(demand.count, pages.vm.guestAborts.filter { $0.resolution == .mappedOnDemand }.count)
        }
    }
}
