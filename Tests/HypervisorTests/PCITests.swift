import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// The PCIe host bridge (ECAM and its windows) and QEMU's pci-testdev: the
/// `pci` guest probes, sizes, places and drives them as kvm-unit-tests'
/// pci-test does; hostile accesses straight at the devices never trap.
final class PCITests: XCTestCase {
    func testGuestProbesSizesAndPlacesBARsAndRunsTheTestdevProtocol() throws {
        let checks = ["bus 0 holds two functions", "00:00.0 is the host bridge 1b36:0008, class 0600",
                      "00:01.0 is pci-testdev 1b36:0005, class 00ff", "bus 1 and extended config space read all-ones",
                      "a 64-bit config read: IDs, COMMAND and STATUS 0", "the IDs are read-only",
                      "BAR0 sizes as 4 KiB of 32-bit memory", "BAR1 sizes as 256 bytes of I/O", "BAR2-5 are not implemented",
                      "memory space disabled: the BAR decodes nothing (all-ones)",
                      "BAR0 (memory): the 3 tests of QEMU's pci-testdev", "BAR1 (I/O at 0x100): the 3 tests of QEMU's pci-testdev",
                      "datamatch counts only the signature, a halfword as its bytes", "wildcard counts any value",
                      "BAR0 over RAM: RAM stays RAM", "BAR0 over the PL011: the UART stays the UART"]
        for (mode, run) in try GuestRun.passingInBothDesigns("pci", checks) {
            for name in ["mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd",
                         "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd"] {
                // No ioeventfd in el2emu: every test counts the guest's 16 writes.
                XCTAssertTrue(run.output.contains("  \(name): 16 writes counted\n"), "\(mode): \(name)")
            }
            // QEMU serves config space and both BARs in user space: every such exit returns there.
            for device in ["pci-ecam", "pci-mem", "pci-io"] {
                let exits = run.exits.filter { $0.detail.contains(" \(device)+") }
                XCTAssertFalse(exits.isEmpty, "\(mode): no exit to \(device)")
                XCTAssertTrue(exits.allSatisfy { $0.detail.hasSuffix("(user space)") }, "\(mode): \(exits.map(\.detail).prefix(3))")
            }
        }
    }

    /// The same guest passes on QEMU's virt with pci-testdev (highmem=off puts
    /// ECAM at 0x3f000000), where the ioeventfds take the eventfd tests' writes.
    func testGuestPassesOnQEMUToo() throws {
        let (status, text) = try QEMUPeer.run("pci", machine: "virt,highmem=off", ["-device", "pci-testdev"])
        XCTAssertEqual(status, 0, text)
        XCTAssertFalse(text.contains("FAIL"), text)
        XCTAssertTrue(text.contains("  mmio-no-eventfd: 16 writes counted\n") && text.contains("  portio-datamatch-eventfd: 0 writes counted\n"), text)
    }

    /// Accesses of every size at every offset of a function's 4 KiB and past
    /// the windows' ends, and all-ones written everywhere: nothing traps, the
    /// IDs stay, and BARs left wherever they point decode only inside the windows.
    func testHostileConfigAndWindowAccessesAreHarmless() {
        let bridge = PCIHostBridge()
        let devices = bridge.devices
        let ecam = devices[0]
        for size in [1, 2, 4, 8] {
            for offset in stride(from: UInt64(0x8000), to: 0x9000 + 8, by: 1) {
                ecam.write(offset: offset, size: size, value: .max)
                _ = ecam.read(offset: offset, size: size)
            }
            for d in devices {
                for offset: UInt64 in [d.size - 1, d.size - 4, d.size, .max - 3] {
                    d.write(offset: offset, size: size, value: .max)
                    _ = d.read(offset: offset, size: size)
                }
            }
        }
        XCTAssertEqual(ecam.read(offset: 0x8000, size: 4), 0x0005_1B36)
        XCTAssertEqual(ecam.read(offset: 0x8010, size: 4), 0xFFFF_F000, "BAR0 reads back its size mask")
        XCTAssertEqual(ecam.read(offset: 0x8014, size: 4), 0xFFFF_FF01, "BAR1 reads back its size mask")
        XCTAssertEqual(ecam.read(offset: 0x8004, size: 2), 0x0547, "COMMAND keeps only its writable bits")
        // BAR0 at 0xfffff000 and BAR1 at I/O 0xffffff00 reach the top of 32-bit space: unplaced, as QEMU's.
        XCTAssertNil(bridge.functions[0x08]?.config.barRange(0))
        XCTAssertNil(bridge.functions[0x08]?.config.barRange(1))
        XCTAssertNil(bridge.decode(0x1000_0000, io: false))
        XCTAssertEqual(devices[2].read(offset: 0, size: 4), 0xFFFF_FFFF)
        // Placed in the window, BAR0 decodes there and only there.
        ecam.write(offset: 0x8010, size: 4, value: 0x2000_0000)
        XCTAssertEqual(bridge.decode(0x2000_0FFF, io: false)?.2, 0xFFF)
        XCTAssertNil(bridge.decode(0x2000_1000, io: false))
    }
}
