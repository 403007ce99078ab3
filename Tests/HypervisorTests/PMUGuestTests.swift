import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The `pmu` guest (Firmware/guests/pmu.c) on the PMUv3 the hypervisor
/// emulates (PMU.swift), in both designs: MDCR_EL2.TPM/TPMCR take every PMU
/// register access to EL2 as an EC 0x18 exit the ledger names, and an
/// overflow with its interrupt enabled reaches the guest as PPI 23.
final class PMUGuestTests: XCTestCase {
    func testCycleCounterSoftwareIncrementEventCounterAndOverflowInterrupt() throws {
        let runs = try GuestRun.passingInBothDesigns("pmu", [
            "ID_AA64DFR0_EL1.PMUVer: PMUv3", "PMCR_EL0.N: 4 event counters",
            "PMCEID0_EL0: SW_INCR, INST_RETIRED, CPU_CYCLES, MEM_ACCESS, CHAIN",
            "PMCCNTR_EL0 advances between two reads",
            "PMCCNTR_EL0 counts at least a cycle per instruction of a loop",
            "PMCCNTR_EL0 does not count the time blocked in WFI",
            "INST_RETIRED counts the loop's instructions", "MEM_ACCESS counts the loop's loads",
            "SW_INCR: no count while PMCR_EL0.E is clear", "SW_INCR: ten increments counted",
            "CHAIN: the odd counter counts the even one's overflow",
            "overflow: PMOVSSET bit 0, the counter wrapped to 0",
            "overflow: no interrupt while PMINTENSET_EL1 is clear",
            "overflow: PPI 23 taken once",
            "overflow: the handler saw PMOVSCLR bit 0, then 0 after clearing it",
        ])
        for (mode, run) in runs {
            let pmu = run.exits.filter { $0.esr.map { PerformanceMonitors.isRegister($0.sysRegister) && $0.ec == .sys64 } ?? false }
            // Each access is its own SYS64 exit, named as the Arm ARM names the register.
            XCTAssertTrue(pmu.allSatisfy { $0.kind == "SYS64" }, "\(mode)")
            XCTAssertEqual(pmu.filter { $0.detail.hasPrefix("SYS64 MRS") && $0.detail.contains(", PMCCNTR_EL0") }.count, 4, "\(mode)")
            XCTAssertEqual(pmu.filter { $0.detail.hasPrefix("SYS64 MSR PMSWINC_EL0") }.count, 23, "\(mode)")
            XCTAssertTrue(pmu.contains { $0.detail.hasPrefix("SYS64 MSR PMCR_EL0") && $0.esr!.sysRegister == PerformanceMonitors.PMCR_EL0 }, "\(mode)")
            // PPI 23 was made pending once, by the overflowing PMSWINC.
            let raised = run.events.compactMap { if case .hardware(_, _, .virtualInterrupt(let i, true)) = $0 { return i }; return nil }
            XCTAssertEqual(raised.filter { $0 == PerformanceMonitors.interruptID }.count, 1, "\(mode)")
        }
    }

    /// Entered at EL2, the guest has the PE's own PMU (EL2/PerformanceMonitorUnit.swift):
    /// nothing exits, and INST_RETIRED is exact.
    func testThePEsOwnPMUAtEL2() throws {
        for mode in VirtualizationMode.allCases {
            let run = try GuestRun("pmu", mode: mode) { $0.entryEL = 2 }
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode): \(run.output)")
            XCTAssertFalse(run.output.contains("FAIL"), "\(mode): \(run.output)")
            for check in ["PMCCNTR_EL0 advances between two reads", "SW_INCR: ten increments counted",
                          "at EL2: INST_RETIRED counts the MSR, the ISB and the loop, exactly",
                          "CHAIN: the odd counter counts the even one's overflow",
                          "overflow: PMOVSSET bit 0, the counter wrapped to 0"] {
                XCTAssertTrue(run.output.contains("PASS \(check)"), "\(mode): \(check)\n\(run.output)")
            }
            XCTAssertTrue(run.exits.isEmpty, "\(mode)")
        }
    }
}
