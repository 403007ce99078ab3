import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The GICv3 ITS emulated in the hypervisor (the `its` guest; kvm-unit-tests'
/// its-* entries check the same with four vCPUs): events of a mapped device
/// reach the vCPU as LPIs through the list registers, by the INT command and
/// by a GITS_TRANSLATER write, as the LPI configuration table allows.
final class ITSTests: XCTestCase {
    func testMappedEventsReachTheVCPUAsLPIsByINTAndGITSTranslater() throws {
        let checks = ["GICD_TYPER.LPIS: the distributor supports LPIs", "GICR_TYPER.PLPIS: the redistributor supports LPIs",
                      "GITS_TYPER: physical LPIs, 8-byte ITT entries",
                      "GITS_BASER0 is the device table, GITS_BASER1 the collection table", "GICR_CTLR.EnableLPIs set",
                      "GITS_CTLR.Enabled", "IRQs masked: LPI 8192 waits", "INT: device 0 event 0 -> LPI 8192 taken",
                      "GITS_TRANSLATER write of EventID 1 -> LPI 8193 taken",
                      "disabled in the configuration table (INV): LPI 8193 not taken",
                      "enabled again (INV): the pending LPI 8193 taken", "CLEAR: the pending LPI 8193 dropped",
                      "DISCARD: event 1 reaches nothing", "MAPD V=0: device 0's events reach nothing", "no unexpected exception"]
        for (mode, run) in try GuestRun.passingInBothDesigns("its", checks) {
            // Each LPI made pending was queued for the list registers: 8192 once, 8193 three times (TRANSLATER, TRANSLATER, INT).
            let queued = run.events.compactMap { e -> Int? in
                if case .hardware(_, _, .virtualInterrupt(let intid, true)) = e, intid >= 8192 { return intid }
                return nil
            }
            XCTAssertEqual(queued, [8192, 8193, 8193, 8193], "\(mode)")
            // The ITS is served in the host kernel, like the rest of the vGIC.
            XCTAssertEqual(run.exits.filter { $0.detail == "MMIO write gits+0x10040 size=4" }.count, 3, "\(mode)")
            XCTAssertTrue(run.exits.contains { $0.detail == "MMIO write gits+0x88 size=8" }, "\(mode)")
        }
    }
}
