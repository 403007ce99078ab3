import AArch64
import EL2
import GuestBuild
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
    /// signals them (EL2/Interrupts/PhysicalLPIs.swift). No exit: no hypervisor of el2emu's runs.
    func testTheSameWithTheGuestOwningEL2() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("its", ITSTests.checks, configure: { $0.cpus = 2; $0.entryEL = 2 }) {
            XCTAssertTrue(run.exits.isEmpty, "\(mode): \(run.exits.map(\.kind))")
        }
    }

    /// A hostile guest's ITS: random writes to its registers and the
    /// redistributors' LPI registers (tables and queue anywhere, CWRITER past
    /// the queue) and random commands (IDs in and out of range, unknown
    /// opcodes) never trap; afterwards a clean set-up works as it should.
    func testRandomRegistersAndCommandsNeverTrapAndACleanSetUpStillWorks() throws {
        var c = Configuration()
        c.cpus = 2
        let vm = try VirtualMachine(c)
        let its = try XCTUnwrap(vm.devices.devices.lazy.compactMap { $0 as? ITS }.first)
        let rd = vm.devices.devices.compactMap { $0 as? GICv3Redistributor }
        var rng = SplitMix64(state: UInt64(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_SEED"] ?? "") ?? 0x175)
        let ram = c.ramBase
        func command(_ w: [UInt64]) {
            let at = (its.cbaser & 0x000F_FFFF_FFFF_0000) &+ its.cwriter
            try? vm.load(w.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64($0 * 8)) } }, at: at)
            its.write(offset: 0x88, size: 8, value: (its.cwriter &+ 32) % its.queueSize)
        }
        func setUp() {
            its.write(offset: 0x0, size: 4, value: 0)
            for r in rd { r.write(offset: 0x0, size: 4, value: 0) }
            its.write(offset: 0x100, size: 8, value: ram + 0x20_0000 | 1 << 63)
            its.write(offset: 0x108, size: 8, value: ram + 0x30_0000 | 1 << 63)
            its.write(offset: 0x80, size: 8, value: ram + 0x10_0000 | 1 << 63)
            rd[0].write(offset: 0x70, size: 8, value: ram + 0x40_0000 | 13)
            for (i, r) in rd.enumerated() {
                r.write(offset: 0x78, size: 8, value: ram + 0x50_0000 + UInt64(i) * 0x1_0000)
                r.write(offset: 0x0, size: 4, value: 1)
            }
            its.write(offset: 0x0, size: 4, value: 1)
        }
        setUp()
        func value() -> UInt64 {
            switch rng.below(4) {
            case 0: return ram &+ rng.below(c.ramSize + 0x10_0000) & ~0xFFF   // in RAM, or just past it
            case 1: return rng.below(16)
            default: return rng.next()
            }
        }
        let opcodes: [UInt64] = [0x01, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x42]
        for _ in 0..<4000 {
            switch rng.below(100) {
            case 0..<2:
                let offsets: [UInt64] = [0x0, 0x80, 0x84, 0x88, 0x8C, 0x100, 0x104, 0x108, 0x10C, 0x1_0040]
                its.write(offset: offsets[Int(rng.below(UInt64(offsets.count)))], size: rng.below(2) == 0 ? 4 : 8, value: value())
            case 2..<4:
                rd[Int(rng.below(2))].write(offset: [0x0, 0x70, 0x78][Int(rng.below(3))], size: 8, value: value())
            case 4..<8:
                _ = its.read(offset: rng.below(0x2_0000) & ~3, size: 4)
            case 8..<10:
                setUp()
            case 10..<20:
                var w = (0..<4).map { _ in value() }
                w[0] = w[0] & ~0xFF | opcodes[Int(rng.below(UInt64(opcodes.count)))]
                command(w)
            default:
                // Mostly in range: devices 0-3, events 0-8, LPIs 8190-8199, collections 0-3, vCPUs 0-2.
                let op = (opcodes + [0x08, 0x08, 0x09, 0x0A, 0x0A, 0x0A, 0x03, 0x03])[Int(rng.below(UInt64(opcodes.count + 8)))]
                let w1 = rng.below(9) | (8190 + rng.below(10)) << 32
                let w2 = rng.below(4) | rng.below(3) << 16 | (rng.below(2) == 0 ? 0 : ram + 0x60_0000) | min(1, rng.below(4)) << 63
                command([op | rng.below(4) << 32, w1, w2, rng.below(3) << 16])
            }
            // Each mapped LPI is referenced by as many events as map it (KVM's refcount), no more.
            var references: [Int: Int] = [:]
            for d in its.devices.values { for e in d.events.values { references[e.lpi, default: 0] += 1 } }
            XCTAssertEqual(references, vm.gic.lpi.lpis.mapValues(\.references))
        }
        // Clean again: device 5's event 3 -> LPI 8200 in collection 7 on vCPU 1, enabled; INT.
        setUp()
        try vm.load([0xA3], at: ram + 0x40_0000 + 8)
        command([0x08 | 5 << 32, 4 - 1, ram + 0x60_0000 | 1 << 63, 0])   // MAPD
        command([0x09, 0, 7 | 1 << 16 | 1 << 63, 0])                     // MAPC
        command([0x0A | 5 << 32, 3 | 8200 << 32, 7, 0])                  // MAPTI
        command([0x03 | 5 << 32, 3, 0, 0])                               // INT
        XCTAssertTrue(vm.vcpus[1].pendingInterrupts.contains { $0.intid == 8200 })
        XCTAssertTrue(vm.gic.canForward(8200, cpu: 1))
        XCTAssertEqual(vm.gic.priority(8200, cpu: 1), 0xA0)
    }
}
