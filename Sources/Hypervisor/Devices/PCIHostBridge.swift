/// QEMU virt's generic PCIe host bridge (gpex, "pci-host-ecam-generic") with
/// its low windows: ECAM for 16 buses at 0x3f00_0000, PCI I/O space 0-0xffff
/// at 0x3eff_0000 (arm has no port I/O: the guest reaches it as MMIO), and
/// 32-bit PCI memory at 0x1000_0000-0x3efe_ffff, the same addresses on both
/// sides. Bus 0 holds the bridge itself (00:00.0) and pci-testdev (00:01.0).
/// QEMU emulates all of it in user space: every access is a user-space exit.
final class PCIHostBridge {
    static let ecam: Range<UInt64> = 0x3F00_0000..<0x4000_0000
    static let buses: UInt32 = 16
    static let ioWindow: Range<UInt64> = 0x3EFF_0000..<0x3F00_0000
    static let memoryWindow: Range<UInt64> = 0x1000_0000..<0x3EFF_0000

    /// The functions on bus 0 by devfn (device << 3 | function).
    let functions: [Int: PCIFunction]
    /// The same in devfn order: the first BAR that decodes an address wins.
    private let ordered: [PCIFunction]

    init() {
        functions = [0: PCIHostBridgeFunction(), 1 << 3: PCITestDevice()]
        ordered = functions.sorted { $0.key < $1.key }.map(\.value)
    }

    /// ECAM, the I/O window and the memory window as devices on the bus.
    var devices: [Device] {
        [PCIConfigAccess(bridge: self), PCIWindow(bridge: self, io: true), PCIWindow(bridge: self, io: false)]
    }

    /// One byte of configuration space at an ECAM offset: bus, device,
    /// function, register. A function that is not there reads all-ones.
    func configByte(_ offset: UInt64) -> UInt8 {
        guard let (f, reg) = function(at: offset) else { return 0xFF }
        return f.config.read(reg)
    }

    func setConfigByte(_ offset: UInt64, _ value: UInt8) {
        guard let (f, reg) = function(at: offset) else { return }
        f.config.write(reg, value)
    }

    private func function(at offset: UInt64) -> (PCIFunction, Int)? {
        guard offset >> 20 == 0, let f = functions[Int(offset >> 12 & 0xFF)] else { return nil }
        return (f, Int(offset & 0xFFF))
    }

    /// The function and BAR that decode a PCI address, and the offset within the BAR.
    func decode(_ address: UInt64, io: Bool) -> (PCIFunction, Int, UInt64)? {
        for f in ordered {
            for bar in 0..<6 {
                if let r = f.config.barRange(bar), r.io == io, r.range.contains(address) {
                    return (f, bar, address - r.range.lowerBound)
                }
            }
        }
        return nil
    }
}

/// 00:00.0, the host bridge's own function (QEMU's gpex-root): an ID, nothing behind it.
final class PCIHostBridgeFunction: PCIFunction {
    var config = PCIConfigSpace(vendor: 0x1B36, device: 0x0008, classCode: 0x06_0000)
}

/// The ECAM window: each byte of an access of any size goes to the
/// configuration space its offset names (an access may straddle functions).
final class PCIConfigAccess: Device {
    let name = "pci-ecam"
    let base = PCIHostBridge.ecam.lowerBound
    let size = UInt64(PCIHostBridge.ecam.count)
    let bridge: PCIHostBridge
    init(bridge: PCIHostBridge) { self.bridge = bridge }

    func servedInKernel(offset: UInt64) -> Bool { false }

    func read(offset: UInt64, size: Int) -> UInt64 {
        (0..<min(size, 8)).reduce(0) { $0 | UInt64(bridge.configByte(offset &+ UInt64($1))) << (8 * UInt64($1)) }
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        for i in 0..<min(size, 8) { bridge.setConfigByte(offset &+ UInt64(i), UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

/// The I/O or memory window: an access goes to the BAR that decodes its
/// first byte. Nothing decodes it: writes are dropped, reads return
/// all-ones (a master abort). A BAR programmed outside the window (over RAM
/// or another device) decodes nothing the guest can reach.
final class PCIWindow: Device {
    let name: String
    let base: UInt64
    let size: UInt64
    let io: Bool
    let bridge: PCIHostBridge
    init(bridge: PCIHostBridge, io: Bool) {
        let w = io ? PCIHostBridge.ioWindow : PCIHostBridge.memoryWindow
        (self.bridge, self.io, name, base, size) = (bridge, io, io ? "pci-io" : "pci-mem", w.lowerBound, UInt64(w.count))
    }

    /// The PCI address of an offset: I/O space starts at 0, memory space at the window's CPU address.
    private func pciAddress(_ offset: UInt64) -> UInt64 { io ? offset : base &+ offset }

    func servedInKernel(offset: UInt64) -> Bool { false }

    func read(offset: UInt64, size: Int) -> UInt64 {
        guard let (f, bar, at) = bridge.decode(pciAddress(offset), io: io) else { return size >= 8 ? .max : (1 << (8 * UInt64(size))) - 1 }
        return f.barRead(bar, offset: at, size: size)
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        guard let (f, bar, at) = bridge.decode(pciAddress(offset), io: io) else { return }
        f.barWrite(bar, offset: at, size: size, value: value)
    }
}

extension VirtBoardDeviceTree {
    /// The host bridge's node as QEMU virt writes it, with the low ECAM, its
    /// MSIs to the ITS (msi-map: requester ID r is the ITS's DeviceID r) and
    /// INTx of slot s pin p (1-4) SPI 35 + (s + p - 1) % 4.
    static func addPCIHostBridge(to root: FlattenedDeviceTree.Node, msi: Bool = true) {
        let ecam = PCIHostBridge.ecam, io = PCIHostBridge.ioWindow, mem = PCIHostBridge.memoryWindow
        // ranges: <PCI space and address (3 cells), CPU address (2), size (2)>; space 1 I/O, 2 32-bit memory.
        let ranges: [UInt32] = [0x0100_0000, 0, 0] + split(io.lowerBound) + split(UInt64(io.count))
            + [0x0200_0000, 0, UInt32(mem.lowerBound)] + split(mem.lowerBound) + split(UInt64(mem.count))
        var map: [UInt32] = []
        for slot in 0..<4 as Range<UInt32> {
            for pin in 1...4 as ClosedRange<UInt32> {
                map += [slot << 11, 0, 0, pin, gicPhandle, 0, 0] + spi(35 + (slot + pin - 1) % 4)
            }
        }
        let node = root.add(.init("pcie@\(hex(ecam.lowerBound))"))
            .set("compatible", .string("pci-host-ecam-generic"))
            .set("device_type", .string("pci"))
            .set("#address-cells", .cells([3])).set("#size-cells", .cells([2]))
            .set("reg", .u64([ecam.lowerBound, UInt64(ecam.count)]))
            .set("bus-range", .cells([0, PCIHostBridge.buses - 1]))
            .set("linux,pci-domain", .cells([0]))
            .set("dma-coherent", .empty)
        if msi { node.set("msi-map", .cells([0, itsPhandle, 0, 0x1_0000])) }   // no ITS with GICv2
        node.set("ranges", .cells(ranges))
            .set("#interrupt-cells", .cells([1]))
            .set("interrupt-map-mask", .cells([3 << 11, 0, 0, 7]))
            .set("interrupt-map", .cells(map))
    }

    private static func split(_ v: UInt64) -> [UInt32] { [UInt32(v >> 32), UInt32(truncatingIfNeeded: v)] }
}
