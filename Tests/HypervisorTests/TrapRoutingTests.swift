import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// Trap routing by HCR_EL2, bit by bit: the `traps` firmware guest runs with
/// each bit set and clear, in split mode and VHE. With the bit set the test
/// asserts the exit the hypervisor saw (ESR_EL2 exactly: EC, IL, ISS with Rt
/// and direction; ELR_EL2); with it clear, that no exit happened and the
/// instruction had its hardware effect. Either way the guest's own checks pass.
final class TrapRoutingTests: XCTestCase {
    let modes = VirtualizationMode.allCases

    /// Asserts exactly one exit at the guest's labelled instruction `site`.
    @discardableResult
    func assertExit(_ run: TrapGuestRun, site: String, esr: UInt64, elrAfter: Bool = false, _ mode: VirtualizationMode,
                    file: StaticString = #filePath, line: UInt = #line) -> ExitRecord? {
        let pc = run.site(site, file: file, line: line)
        let elr = elrAfter ? pc + 4 : pc
        let found = run.exits(at: elr)
        XCTAssertEqual(found.count, 1, "\(mode): exits at \(site) (ELR 0x\(String(elr, radix: 16)))", file: file, line: line)
        guard let r = found.first else { return nil }
        XCTAssertEqual(r.esr?.raw, esr, "\(mode): ESR_EL2 at \(site) is 0x\(String(r.esr?.raw ?? 0, radix: 16))", file: file, line: line)
        XCTAssertEqual(r.esr?.il, true, "\(mode): IL (32-bit instruction)", file: file, line: line)
        return r
    }

    /// Asserts a trapped MSR/MRS/SYS: the exact ESR and its decoded register, Rt and direction.
    func assertSysExit(_ run: TrapGuestRun, site: String, esr: UInt64, register: SystemRegister, rt: Int, isRead: Bool,
                       _ mode: VirtualizationMode, file: StaticString = #filePath, line: UInt = #line) {
        guard let r = assertExit(run, site: site, esr: esr, mode, file: file, line: line), let e = r.esr else { return }
        XCTAssertEqual(e.ec, .sys64, file: file, line: line)
        XCTAssertEqual(e.sysRegister, register, file: file, line: line)
        XCTAssertEqual(e.sysRt, rt, "Rt", file: file, line: line)
        XCTAssertEqual(e.sysIsRead, isRead, "Dir", file: file, line: line)
        XCTAssertEqual(r.kind, "SYS64", file: file, line: line)
    }

    func assertNoExit(_ run: TrapGuestRun, site: String, _ mode: VirtualizationMode, file: StaticString = #filePath, line: UInt = #line) {
        let pc = run.site(site, file: file, line: line)
        XCTAssertEqual(run.exits(at: pc).map(\.kind), [], "\(mode): \(site) must not trap", file: file, line: line)
    }

    // MARK: TVM / TRVM

    func testTVMTrapsVirtualMemoryControlWritesWithRtAndTheWritesLand() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // MSR SCTLR_EL1, X9: Op0=3 CRn=1 Rt=9 Dir=0.
            assertSysExit(run, site: "tvm_sctlr", esr: 0x6230_0520, register: .SCTLR_EL1, rt: 9, isRead: false, mode)
            // MSR TTBR0_EL1, X10: CRn=2 Rt=10.
            assertSysExit(run, site: "tvm_ttbr0", esr: 0x6230_0940, register: .TTBR0_EL1, rt: 10, isRead: false, mode)
            // MSR CONTEXTIDR_EL1, X20: Op2=1 CRn=13 Rt=20.
            assertSysExit(run, site: "tvm_contextidr", esr: 0x6232_3680, register: .CONTEXTIDR_EL1, rt: 20, isRead: false, mode)
            // TRVM is clear by default: the read is the hardware's.
            assertNoExit(run, site: "trvm_ttbr0", mode)
            XCTAssertEqual(run.printed("SCTLR_EL1"), 0x30D0_0808, "\(mode): the emulated write reached SCTLR_EL1")
            run.assertGuestPassed(["SCTLR_EL1 write took effect", "CONTEXTIDR_EL1 write took effect",
                                   "TTBR0_EL1 reads back what was written", "EL1 state survives the exits"])
        }
    }

    func testTVMClearWritesReachTheGuestsEL1RegistersWithoutAnExit() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TVM)
            for s in ["tvm_sctlr", "tvm_ttbr0", "tvm_contextidr"] { assertNoExit(run, site: s, mode) }
            XCTAssertFalse(run.exits.contains { $0.esr.map { SystemRegister.virtualMemoryControls.contains($0.sysRegister) && $0.ec == .sys64 } ?? false },
                           "\(mode): no VM-control register access trapped")
            XCTAssertEqual(run.printed("SCTLR_EL1"), 0x30D0_0808, "\(mode): the native write reached SCTLR_EL1")
            run.assertGuestPassed(["SCTLR_EL1 write took effect", "CONTEXTIDR_EL1 write took effect",
                                   "TTBR0_EL1 reads back what was written", "EL1 state survives the exits"])
        }
    }

    func testTRVMTrapsVirtualMemoryControlReadsFromTheVCPUsCopy() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, set: .TRVM)
            // MRS X11, TTBR0_EL1: CRn=2 Rt=11 Dir=1.
            assertSysExit(run, site: "trvm_ttbr0", esr: 0x6230_0961, register: .TTBR0_EL1, rt: 11, isRead: true, mode)
            XCTAssertEqual(run.printed("TTBR0_EL1"), 0x4012_3000, "\(mode): the emulated read returned the written value")
            run.assertGuestPassed(["TTBR0_EL1 reads back what was written", "SCTLR_EL1 write took effect"])
        }
    }

    // MARK: TID3

    func testTID3TrapsIDRegisterReadsAndReturnsTheEmulatedValue() throws {
        let emulated = try XCTUnwrap(VirtualMachine.emulatedIDRegisters[.ID_AA64PFR0_EL1])
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // MRS X3, ID_AA64PFR0_EL1: Op0=3 CRn=0 CRm=4 Rt=3 Dir=1.
            assertSysExit(run, site: "tid3_pfr0", esr: 0x6230_0069, register: .ID_AA64PFR0_EL1, rt: 3, isRead: true, mode)
            XCTAssertEqual(run.printed("ID_AA64PFR0_EL1"), emulated, "\(mode): the guest read the emulated ID value")
            run.assertGuestPassed(["ID_AA64PFR0_EL1 reports AArch64 EL0 and EL1"])
        }
    }

    func testTID3ClearIDRegisterReadsAreTheCPUsOwn() throws {
        let emulated = try XCTUnwrap(VirtualMachine.emulatedIDRegisters[.ID_AA64PFR0_EL1])
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TID3)
            assertNoExit(run, site: "tid3_pfr0", mode)
            let value = try XCTUnwrap(run.printed("ID_AA64PFR0_EL1"))
            XCTAssertNotEqual(value, emulated, "\(mode): the CPU's value, not the hypervisor's")
            // The emulated view hides EL2 (field [11:8] = 0); the CPU model has it.
            XCTAssertEqual(emulated >> 8 & 0xF, 0)
            XCTAssertNotEqual(value >> 8 & 0xF, 0, "\(mode): the CPU's own ID_AA64PFR0_EL1 shows EL2")
            run.assertGuestPassed(["ID_AA64PFR0_EL1 reports AArch64 EL0 and EL1"])
        }
    }

    // MARK: TACR

    func testTACRTrapsACTLRReadsAndWrites() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // MRS X13, ACTLR_EL1 (3,0,1,0,1); MSR ACTLR_EL1, X12.
            assertSysExit(run, site: "tacr_read", esr: 0x6232_05A1, register: .ACTLR_EL1, rt: 13, isRead: true, mode)
            assertSysExit(run, site: "tacr_write", esr: 0x6232_0580, register: .ACTLR_EL1, rt: 12, isRead: false, mode)
            run.assertGuestPassed(["ACTLR_EL1 accessible at EL1"])
        }
    }

    func testTACRClearACTLRAccessesRunNatively() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TACR)
            assertNoExit(run, site: "tacr_read", mode)
            assertNoExit(run, site: "tacr_write", mode)
            run.assertGuestPassed(["ACTLR_EL1 accessible at EL1"])
        }
    }

    // MARK: TSW / TTLB

    func testTSWTrapsSetWayCacheMaintenance() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // DC ISW, X4 = SYS #0, C7, C6, #2: Op0=1 Op2=2 CRn=7 CRm=6 Rt=4.
            assertSysExit(run, site: "tsw_dc_isw", esr: 0x6214_1C8C, register: SystemRegister(1, 0, 7, 6, 2), rt: 4, isRead: false, mode)
            run.assertGuestPassed(["DC ISW and TLBI complete"])
        }
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TSW)
            assertNoExit(run, site: "tsw_dc_isw", mode)
            run.assertGuestPassed(["DC ISW and TLBI complete"])
        }
    }

    func testTTLBTrapsTLBMaintenanceWithRt() throws {
        for mode in modes {
            // TTLB is not in KVM's guest flags: TLBIs run natively by default.
            let native = try TrapGuestRun.run("traps", mode: mode)
            assertNoExit(native, site: "ttlb_vmalle1", mode)
            assertNoExit(native, site: "ttlb_vae1", mode)
            native.assertGuestPassed(["DC ISW and TLBI complete"])

            let run = try TrapGuestRun.run("traps", mode: mode, set: .TTLB)
            // TLBI VMALLE1 = SYS #0, C8, C7, #0 with Rt=31 (no register).
            assertSysExit(run, site: "ttlb_vmalle1", esr: 0x6210_23EE, register: SystemRegister(1, 0, 8, 7, 0), rt: 31, isRead: false, mode)
            // TLBI VAE1, X6 = SYS #0, C8, C7, #1, X6.
            assertSysExit(run, site: "ttlb_vae1", esr: 0x6212_20CE, register: SystemRegister(1, 0, 8, 7, 1), rt: 6, isRead: false, mode)
            run.assertGuestPassed(["DC ISW and TLBI complete"])
        }
    }

    // MARK: TWE / TWI

    func testTWETrapsWFEWithTIOne() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // EC 0x01, IL, CV=1, COND=0xE, TI=01 (WFE); ELR = the WFE.
            let r = assertExit(run, site: "twe_wfe", esr: 0x07E0_0001, mode)
            XCTAssertEqual(r?.kind, "WFx")
            XCTAssertEqual(r?.esr?.wfxIsWFE, true)
            run.assertGuestPassed(["WFE returned"])

            let clear = try TrapGuestRun.run("traps", mode: mode, clear: .TWE)
            assertNoExit(clear, site: "twe_wfe", mode)
            clear.assertGuestPassed(["WFE returned"])
        }
    }

    func testTWITrapsWFIAndTheHypervisorBlocksTheVCPUUntilItsTimer() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // TI=00 (WFI); ELR = the WFI.
            let wfi = run.site("twi_wfi")
            let r = assertExit(run, site: "twi_wfi", esr: 0x07E0_0000, mode)
            XCTAssertEqual(r?.esr?.wfxIsWFE, false)
            XCTAssertEqual(run.blocked, [wfi], "\(mode): the vCPU was blocked in the WFI")
            XCTAssertEqual(run.idledAt, [], "\(mode): a trapped WFI does not idle in the hardware")
            run.assertGuestPassed(["WFI returned after the virtual timer fired"])
        }
    }

    func testTWIClearWFIIdlesTheVCPUUntilTheTimerFires() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TWI)
            let wfi = run.site("twi_wfi")
            XCTAssertFalse(run.exits.contains { $0.kind == "WFx" && $0.esr?.wfxIsWFE == false }, "\(mode): no WFI exit")
            XCTAssertEqual(run.blocked, [])
            XCTAssertEqual(run.idledAt, [wfi], "\(mode): the vCPU idled in the WFI itself")
            run.assertGuestPassed(["WFI returned after the virtual timer fired"])
        }
    }

    func testWFIWaitingForTheTimerInterruptIsWokenByItWithOrWithoutTWI() throws {
        for mode in modes {
            // TWI: the hypervisor blocks the vCPU until the timer and injects PPI 27.
            let trapped = try TrapGuestRun.run("wfi_timer", mode: mode)
            let wfi = trapped.site("wfi")
            assertExit(trapped, site: "wfi", esr: 0x07E0_0000, mode)
            XCTAssertEqual(trapped.blocked, [wfi], "\(mode)")
            XCTAssertEqual(trapped.guestExceptions(at: wfi + 4, kind: "irq").count, 1, "\(mode): the IRQ was taken after the WFI")
            trapped.assertGuestPassed(["the virtual timer interrupt woke the WFI"])
            XCTAssertTrue(trapped.output.contains("waits 1, intid 27"), trapped.output)

            // No TWI: the vCPU idles in the WFI; the timer's physical IRQ exits
            // to the hypervisor, which injects PPI 27 (kvm_arch_timer_handler).
            let idle = try TrapGuestRun.run("wfi_timer", mode: mode, clear: .TWI)
            XCTAssertEqual(idle.idledAt, [wfi], "\(mode)")
            XCTAssertEqual(idle.exits.first { $0.kind == "IRQ" }?.detail, "virtual timer: PPI 27 injected", "\(mode)")
            XCTAssertEqual(idle.exits.first { $0.kind == "IRQ" }?.pc, wfi + 4, "\(mode): the IRQ exit returns past the WFI")
            XCTAssertEqual(idle.guestExceptions(at: wfi + 4, kind: "irq").count, 1, "\(mode)")
            idle.assertGuestPassed(["the virtual timer interrupt woke the WFI"])
            XCTAssertTrue(idle.output.contains("waits 1, intid 27"), idle.output)
        }
    }

    func testWFIWithNothingToWakeItEndsTheRunWithOrWithoutTWI() throws {
        for mode in modes {
            for clear: HCR in [[], .TWI] {
                let run = try TrapGuestRun.run("ends", mode: mode, clear: clear, x0: 4)
                guard case .deadlock(let pc) = run.reason else { XCTFail("\(mode) \(clear): \(run.reason)"); continue }
                XCTAssertEqual(run.reason.exitStatus, 125)
                XCTAssertEqual(run.exits.filter { $0.kind == "WFx" }.count, clear.isEmpty ? 1 : 0, "\(mode) \(clear)")
                if let last = run.exits.last, clear.isEmpty { XCTAssertEqual(last.pc, pc, "the WFI is the exit's ELR") }
                XCTAssertFalse(run.output.contains("still running"))
            }
        }
    }

    // MARK: TSC and HVC

    func testTSCTrapsSMCWithELRAtTheSMCAndPSCIAnswers() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // EC 0x17, IL, imm16 = 0; ELR_EL2 = the SMC itself.
            let r = assertExit(run, site: "tsc_smc", esr: 0x5E00_0000, mode)
            XCTAssertEqual(r?.kind, "SMC64")
            XCTAssertEqual(r?.detail, "SMC PSCI_VERSION")
            XCTAssertEqual(run.printed("SMC PSCI_VERSION"), 0x1_0000)
            run.assertGuestPassed(["SMC answered by PSCI, or UNDEF at the SMC"])
        }
    }

    func testTrappedSMCWithANonZeroImmediateIsNotSupported() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            let r = assertExit(run, site: "tsc_smc_imm", esr: 0x5E00_0051, mode)
            XCTAssertEqual(r?.detail, "SMC #0x51: reserved immediate, NOT_SUPPORTED")
            XCTAssertEqual(run.printed("SMC #0x51"), UInt64(bitPattern: -1))
            run.assertGuestPassed(["SMC with a non-zero immediate NOT_SUPPORTED, or UNDEF"])
        }
    }

    func testTSCClearSMCIsUndefinedInTheGuest() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: .TSC)
            let smc = run.site("tsc_smc")
            XCTAssertFalse(run.exits.contains { $0.kind == "SMC64" }, "\(mode): no SMC exit")
            XCTAssertEqual(run.guestExceptions(at: smc).map { $0?.raw }, [0x0200_0000], "\(mode): EC 0x00 (UNKNOWN), IL, to the guest's VBAR_EL1")
            XCTAssertTrue(run.output.contains("SMC UNDEF esr 0x0000000002000000 elr 0x\(String(format: "%016lx", smc))"))
            run.assertGuestPassed(["SMC answered by PSCI, or UNDEF at the SMC"])
        }
    }

    func testHVCExitCarriesImm16AndELRAfterTheHVC() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // EC 0x16, IL, ISS = imm16 0x4b1d; ELR_EL2 = the next instruction.
            let r = assertExit(run, site: "hvc_imm", esr: 0x5A00_4B1D, elrAfter: true, mode)
            XCTAssertEqual(r?.esr?.imm16, 0x4B1D)
            XCTAssertEqual(r?.detail, "HVC PSCI_VERSION")
            run.assertGuestPassed(["HVC #0x4b1d answered"])
        }
    }

    func testPSCIAndSMCCCCallsAreAnsweredOverHVC() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            let details = run.exits.filter { $0.kind == "HVC64" }.map(\.detail)
            XCTAssertEqual(details, ["HVC PSCI_VERSION", "HVC SMCCC_VERSION", "HVC PSCI_FEATURES", "HVC PSCI_FEATURES",
                                     "HVC PSCI_FEATURES", "HVC MIGRATE_INFO_TYPE", "HVC CPU_ON -> notSupported",
                                     "HVC 0x84000f00: NOT_SUPPORTED", "HVC 0xc6000000: NOT_SUPPORTED", "HVC PSCI_VERSION"], "\(mode)")
            XCTAssertTrue(run.exits.filter { $0.kind == "HVC64" }.allSatisfy { $0.esr?.ec == .hvc64 })
            run.assertGuestPassed(["PSCI_VERSION is 1.0", "SMCCC_VERSION is 1.1", "PSCI_FEATURES(PSCI_VERSION) supported",
                                   "PSCI_FEATURES(SYSTEM_OFF) supported", "PSCI_FEATURES(unknown) NOT_SUPPORTED",
                                   "MIGRATE_INFO_TYPE: no Trusted OS", "CPU_ON NOT_SUPPORTED with one vCPU",
                                   "unknown PSCI id NOT_SUPPORTED", "unknown SMCCC id NOT_SUPPORTED"])
        }
    }

    // MARK: Unhandled traps and UNDEFINED accesses

    func testUnhandledTrapInjectsAnUndefIntoTheGuest() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            // TIDCP: MRS X5, S3_0_C15_C0_0 (IMPLEMENTATION DEFINED) traps; the
            // hypervisor does not emulate it and injects EC 0x00 at the MRS.
            let r = assertExit(run, site: "undef_impdef", esr: 0x6230_3CA1, mode)
            XCTAssertEqual(r?.detail, "SYS64 MRS x5, S3_0_C15_C0_0: UNDEF injected")
            XCTAssertEqual(run.printed("UNDEF ESR_EL1"), 0x0200_0000, "\(mode): the guest's ESR_EL1: EC 0x00, IL")
            run.assertGuestPassed(["IMPLEMENTATION DEFINED register access is UNDEFINED"])
        }
    }

    func testEL2RegisterAccessFromEL1IsUndefinedWithoutAnExit() throws {
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode)
            let site = run.site("undef_el2")
            assertNoExit(run, site: "undef_el2", mode)
            XCTAssertEqual(run.guestExceptions(at: site).map { $0?.raw }, [0x0200_0000], "\(mode): UNDEF from the hardware")
            run.assertGuestPassed(["HCR_EL2 access from EL1 is UNDEFINED"])
        }
    }

    func testEL2TLBIFromEL1IsUndefinedEvenWithTTLB() throws {
        for mode in modes {
            for set: HCR in [[], .TTLB] {
                let run = try TrapGuestRun.run("traps", mode: mode, set: set)
                let site = run.site("undef_tlbi_el2")
                assertNoExit(run, site: "undef_tlbi_el2", mode)
                XCTAssertEqual(run.guestExceptions(at: site).map { $0?.raw }, [0x0200_0000], "\(mode) \(set)")
                run.assertGuestPassed(["TLBI ALLE1 from EL1 is UNDEFINED"])
            }
        }
    }

    func testTheSameRunTwiceTakesTheSameExitsAtTheSameVirtualTimes() throws {
        for mode in modes {
            let a = try TrapGuestRun.run("traps", mode: mode, clear: .TWI)
            let b = try TrapGuestRun.run("traps", mode: mode, clear: .TWI)
            XCTAssertEqual(a.exits.map { [$0.time, $0.pc, $0.esr?.raw ?? 0, $0.cycles] },
                           b.exits.map { [$0.time, $0.pc, $0.esr?.raw ?? 0, $0.cycles] }, "\(mode)")
            XCTAssertEqual(a.output, b.output)
        }
    }

    func testEveryTrapBitClearTheGuestStillPassesWithOnlyHypercallExits() throws {
        let all: HCR = [.TVM, .TRVM, .TID3, .TACR, .TSW, .TTLB, .TWE, .TWI, .TSC, .TIDCP]
        for mode in modes {
            let run = try TrapGuestRun.run("traps", mode: mode, clear: all)
            // What remains: the HVCs (always to EL2) and the timer's physical IRQ.
            XCTAssertEqual(Set(run.exits.map(\.kind)), ["HVC64", "IRQ"], "\(mode)")
            XCTAssertTrue(run.output.contains("traps: all passed"))
            run.assertGuestPassed([])
        }
    }
}
