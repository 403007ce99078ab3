import AArch64
@testable import EL2
import XCTest

/// Which EL1 accesses HCR_EL2 routes to EL2 (Arm ARM D13.2.48), bit by bit.
final class TrapRoutingDecisionTests: XCTestCase {
    func processor(_ hcr: HCR) throws -> Processor {
        let p = try Processor(memory: HostMemory())
        p.el2.hcr = hcr
        return p
    }

    func testTVMTrapsWritesOnlyAndTRVMReadsOnly() throws {
        let p = try processor([.TVM])
        for r in SystemRegister.virtualMemoryControls {
            XCTAssertTrue(p.trapsToEL2(r, isRead: false), "\(r) write")
            XCTAssertFalse(p.trapsToEL2(r, isRead: true), "\(r) read")
        }
        p.el2.hcr = [.TRVM]
        XCTAssertTrue(p.trapsToEL2(.TTBR0_EL1, isRead: true))
        XCTAssertFalse(p.trapsToEL2(.TTBR0_EL1, isRead: false))
        XCTAssertFalse(p.trapsToEL2(.VBAR_EL1, isRead: false), "VBAR_EL1 is not a TVM register")
    }

    func testTID3TrapsIDRegisterReads() throws {
        let p = try processor([.TID3])
        XCTAssertTrue(p.trapsToEL2(.ID_AA64PFR0_EL1, isRead: true))
        XCTAssertTrue(p.trapsToEL2(.ID_AA64MMFR0_EL1, isRead: true))
        XCTAssertFalse(p.trapsToEL2(.MIDR_EL1, isRead: true), "MIDR_EL1 is served from VPIDR_EL2, not trapped")
        p.el2.hcr = []
        XCTAssertFalse(p.trapsToEL2(.ID_AA64PFR0_EL1, isRead: true))
    }

    func testTACRTrapsACTLRBothWays() throws {
        let p = try processor([.TACR])
        XCTAssertTrue(p.trapsToEL2(.ACTLR_EL1, isRead: true))
        XCTAssertTrue(p.trapsToEL2(.ACTLR_EL1, isRead: false))
        p.el2.hcr = []
        XCTAssertFalse(p.trapsToEL2(.ACTLR_EL1, isRead: false))
    }

    func testTSWTrapsSetWayButNotVAMaintenance() throws {
        let p = try processor([.TSW])
        XCTAssertTrue(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 7, 6, 2)), "DC ISW")
        XCTAssertTrue(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 7, 10, 2)), "DC CSW")
        XCTAssertTrue(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 7, 14, 2)), "DC CISW")
        XCTAssertFalse(p.systemInstructionTrapsToEL2(SystemRegister(1, 3, 7, 14, 1)), "DC CIVAC")
        XCTAssertFalse(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 8, 7, 0)), "TLBI without TTLB")
    }

    func testTTLBTrapsTLBMaintenance() throws {
        let p = try processor([.TTLB])
        XCTAssertTrue(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 8, 7, 0)), "TLBI VMALLE1")
        XCTAssertTrue(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 8, 3, 0)), "TLBI VMALLE1IS")
        XCTAssertFalse(p.systemInstructionTrapsToEL2(SystemRegister(1, 0, 7, 6, 2)), "DC ISW without TSW")
        XCTAssertFalse(p.systemInstructionTrapsToEL2(SystemRegister(1, 4, 8, 7, 4)), "TLBI ALLE1 is EL2's: UNDEFINED at EL1, not trapped")
    }

    /// MDCR_EL2.TDA traps the breakpoint/watchpoint registers and MDSCR_EL1,
    /// TDOSA the OS lock registers; TDE implies both and routes debug exceptions to EL2.
    func testMDCRTrapsDebugRegistersAndTDERoutesDebugExceptions() throws {
        let p = try processor([])
        let bvr0 = SystemRegister(2, 0, 0, 0, 4)
        XCTAssertFalse(p.trapsToEL2(bvr0, isRead: false))
        XCTAssertFalse(p.debugRoutedToEL2)
        p.el2.mdcr = MDCR.TDA
        XCTAssertTrue(p.trapsToEL2(bvr0, isRead: false), "DBGBVR0_EL1 under TDA")
        XCTAssertTrue(p.trapsToEL2(.MDSCR_EL1, isRead: true), "MDSCR_EL1 under TDA")
        XCTAssertFalse(p.trapsToEL2(.OSLAR_EL1, isRead: false), "OSLAR_EL1 is TDOSA's")
        p.el2.mdcr = MDCR.TDOSA
        XCTAssertTrue(p.trapsToEL2(.OSLAR_EL1, isRead: false))
        XCTAssertTrue(p.trapsToEL2(.OSLSR_EL1, isRead: true))
        XCTAssertFalse(p.trapsToEL2(.MDSCR_EL1, isRead: false))
        p.el2.mdcr = MDCR.TDE
        XCTAssertTrue(p.trapsToEL2(bvr0, isRead: true) && p.trapsToEL2(.OSDLR_EL1, isRead: false))
        XCTAssertTrue(p.debugRoutedToEL2)
        // Routed to EL2, debug exceptions from EL1 ignore MDSCR_EL1.KDE and PSTATE.D (not the OS lock).
        p.debug.osLock = false
        XCTAssertTrue(p.debugExceptionsEnabled(.el1hMasked))
        p.debug.osLock = true
        XCTAssertFalse(p.debugExceptionsEnabled(.el1hMasked))
    }
}
