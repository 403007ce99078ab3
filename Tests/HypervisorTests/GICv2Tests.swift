import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// `--gic-version 2` for a guest at EL1, as KVM's vgic-v2 (the `gicv2`
/// guest; kvm-unit-tests' gicv2-ipi and gicv2-active check the same): the
/// distributor is emulated (MMIO exits), the CPU interface is the GICV frame
/// at stage 2, served from the list registers without an exit.
final class GICv2Tests: XCTestCase {
    static let checks = ["GICD_PIDR2: GICv2", "GICD_TYPER: two CPUs", "GICD_ITARGETSR0 reads vCPU 0's bit on vCPU 0",
                         "GICD_ITARGETSR8: bits of CPUs that do not exist are RAZ", "GICC_IAR: spurious with nothing pending",
                         "GICC_PMR reads back", "GICC_HPPIR shows SGI 3 pending", "SGI 3 to itself taken, source 0",
                         "CPU_ON vCPU 1", "vCPU 1 ran", "GICD_ITARGETSR0 reads vCPU 1's bit on vCPU 1",
                         "SGI 5 from vCPU 1: GICC_IAR carries source 1 in [12:10]", "nothing left pending",
                         "GICC_RPR: idle priority after the EOIs"]

    func testSGIsThroughGICDSGIRReachGICCWithTheirSourceAndGICCNeverExits() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("gicv2", GICv2Tests.checks, configure: { $0.cpus = 2; $0.gicVersion = 2 }) {
            let mmio = run.exits.filter { $0.kind == "DABT_LOW" }.map(\.detail)
            XCTAssertTrue(mmio.contains { $0.hasPrefix("MMIO write gicd+0xf00") }, "\(mode): \(mmio)")
            XCTAssertFalse(mmio.contains { !$0.contains("gicd") && !$0.contains("pl011") }, "\(mode): \(mmio)")
        }
    }

    /// Entered at EL2 the guest owns the GIC: GICD_SGIR raises physical SGIs
    /// with their source, GICC is the PE's physical CPU interface
    /// (EL2/Interrupts/GICCFrame.swift). No exit: no hypervisor of el2emu's runs.
    func testTheSameWithTheGuestOwningEL2() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("gicv2", GICv2Tests.checks, configure: { $0.cpus = 2; $0.gicVersion = 2; $0.entryEL = 2 }) {
            XCTAssertTrue(run.exits.isEmpty, "\(mode): \(run.exits.map(\.kind))")
        }
    }

    /// The device tree names the GICv2 and its two frames, and no ITS.
    func testTheDeviceTreeDescribesQEMUVirtsGICv2() throws {
        var c = Configuration()
        c.gicVersion = 2
        let dts = VirtBoardDeviceTree.make(c)
        let intc = try XCTUnwrap(dts.root.children.first { $0.name == "intc@8000000" })
        func value(_ name: String) -> [UInt8]? { intc.properties.first { $0.0 == name }?.1.encoded }
        XCTAssertEqual(value("compatible"), FlattenedDeviceTree.Value.string("arm,cortex-a15-gic").encoded)
        XCTAssertEqual(value("reg"), FlattenedDeviceTree.Value.u64([0x0800_0000, 0x1_0000, 0x0801_0000, 0x1_0000]).encoded)
        XCTAssertTrue(intc.children.isEmpty)
    }
}
