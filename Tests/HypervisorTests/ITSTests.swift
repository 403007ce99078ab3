import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The GICv3 ITS emulated in the hypervisor (the `its` guest, two vCPUs;
/// kvm-unit-tests' its-* entries check much the same with four): events of a
/// mapped device reach a vCPU as LPIs through the list registers, by the INT
/// command and by a GITS_TRANSLATER write, as the LPI configuration table
/// allows, and follow MOVI, MOVALL and MAPC to another vCPU.
final class ITSTests: XCTestCase {
    static let checks = ["GICD_TYPER.LPIS: the distributor supports LPIs", "GICR_TYPER.PLPIS: the redistributor supports LPIs",
                         "GITS_TYPER: physical LPIs, 8-byte ITT entries",
                         "GITS_BASER0 is the device table, GITS_BASER1 the collection table", "GICR_CTLR.EnableLPIs set",
                         "GITS_CTLR.Enabled", "IRQs masked: LPI 8192 waits", "INT: device 0 event 0 -> LPI 8192 taken",
                         "GITS_TRANSLATER write of EventID 1 -> LPI 8193 taken",
                         "disabled in the configuration table (INV): LPI 8193 not taken",
                         "enabled again (INV): the pending LPI 8193 taken", "CLEAR: the pending LPI 8193 dropped",
                         "DISCARD: event 1 reaches nothing", "MAPD V=0: device 0's events reach nothing",
                         "MOVI to collection 1: event 2 -> LPI 8194 taken by vCPU 1", "MOVI: LPI 8194 not taken by vCPU 0",
                         "MOVI moves the pending LPI 8194 with it (to vCPU 0)", "MOVALL: LPI 8194 now goes to vCPU 0",
                         "MAPC retargets collection 0: LPI 8192 taken by vCPU 1", "MAPC: LPI 8192 not taken by vCPU 0",
                         "no unexpected exception"]

    func testMappedEventsReachTheVCPUAsLPIsByINTAndGITSTranslater() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("its", ITSTests.checks, configure: { $0.cpus = 2 }) {
            // Each LPI made pending was queued for its vCPU's list registers: on vCPU 0 8192 once, 8193 three
            // times (TRANSLATER, TRANSLATER, INT), 8194 moved to it by MOVI and sent after MOVALL; on vCPU 1
            // 8194 twice (INT after MOVI, INT while disabled) and 8192 after MAPC.
            let queued = run.events.compactMap { e -> String? in
                if case .hardware(let v, _, .virtualInterrupt(let intid, true)) = e, intid >= 8192 { return "\(v):\(intid)" }
                return nil
            }
            XCTAssertEqual(queued, ["0:8192", "0:8193", "0:8193", "0:8193", "1:8194", "1:8194", "0:8194", "0:8194", "1:8192"], "\(mode)")
            // The ITS is served in the host kernel, like the rest of the vGIC.
            XCTAssertEqual(run.exits.filter { $0.detail == "MMIO write gits+0x10040 size=4" }.count, 3, "\(mode)")
            XCTAssertTrue(run.exits.contains { $0.detail == "MMIO write gits+0x88 size=8" }, "\(mode)")
        }
    }

    /// Entered at EL2 the guest owns the GIC: the ITS is the hardware's, the
    /// LPIs pend at each PE's physical redistributor and its CPU interface
    /// signals them (EL2/PhysicalLPIs.swift). No exit: no hypervisor of el2emu's runs.
    func testTheSameWithTheGuestOwningEL2() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("its", ITSTests.checks, configure: { $0.cpus = 2; $0.entryEL = 2 }) {
            XCTAssertTrue(run.exits.isEmpty, "\(mode): \(run.exits.map(\.kind))")
        }
    }
}
