/// One PCI function's configuration space, the type 0 header of the PCI Local
/// Bus specification (3.0, ch. 6), kept as QEMU keeps it: the bytes and, per
/// byte, the bits software may write. BAR sizing falls out of the mask:
/// writing all-ones leaves ~(size - 1) and the read-only type bits.
struct PCIConfigSpace {
    /// A conventional function's 256 bytes; ECAM's 4 KiB beyond them read all-ones.
    static let size = 256
    static let command = 0x04, bar0 = 0x10, interruptLine = 0x3C
    /// COMMAND bits: I/O space, memory space, bus master.
    static let ioSpace: UInt16 = 1 << 0, memorySpace: UInt16 = 1 << 1

    private(set) var bytes = [UInt8](repeating: 0, count: size)
    private var writable = [UInt8](repeating: 0, count: size)
    /// The size of each BAR the function implements (0: none).
    private(set) var barSizes = [UInt64](repeating: 0, count: 6)

    init(vendor: UInt16, device: UInt16, classCode: UInt32, revision: UInt8 = 0) {
        put(vendor, at: 0x00)
        put(device, at: 0x02)
        bytes[0x08] = revision
        put(UInt16(truncatingIfNeeded: classCode), at: 0x09)   // programming interface, subclass
        bytes[0x0B] = UInt8(truncatingIfNeeded: classCode >> 16)
        // COMMAND: I/O, memory, bus master, parity error response, SERR#, INTx disable.
        writable[0x04] = 0x47
        writable[0x05] = 0x05
        writable[0x0C] = 0xFF                                  // cache line size
        writable[Self.interruptLine] = 0xFF
    }

    /// BAR `n`: `size` bytes (a power of two) of memory (32-bit, not prefetchable) or I/O space.
    mutating func declareBAR(_ n: Int, size: UInt32, io: Bool) {
        let offset = Self.bar0 + 4 * n
        bytes[offset] = io ? 1 : 0
        Self.put(~(size - 1) & (io ? ~3 : ~0xF), at: offset, into: &writable)
        barSizes[n] = UInt64(size)
    }

    func read(_ offset: Int) -> UInt8 { offset < Self.size ? bytes[offset] : 0xFF }

    mutating func write(_ offset: Int, _ value: UInt8) {
        guard offset < Self.size else { return }
        bytes[offset] = bytes[offset] & ~writable[offset] | value & writable[offset]
    }

    func u32(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) } }
    var commandRegister: UInt16 { UInt16(bytes[Self.command]) | UInt16(bytes[Self.command + 1]) << 8 }

    /// Where BAR `n` decodes now, in PCI memory or I/O space: nil when the
    /// function does not implement it, its space is disabled in COMMAND, or
    /// it reaches the top of 32-bit space (all-ones: a BAR being sized), as
    /// QEMU's pci_bar_address; a memory BAR at 0 is unplaced.
    func barRange(_ n: Int) -> (io: Bool, range: Range<UInt64>)? {
        let size = barSizes[n]
        guard size != 0 else { return nil }
        let raw = u32(Self.bar0 + 4 * n), io = raw & 1 == 1
        guard commandRegister & (io ? Self.ioSpace : Self.memorySpace) != 0 else { return nil }
        let base = UInt64(raw & (io ? ~3 : ~0xF))
        guard base != 0 || io, base + size < 1 << 32 else { return nil }
        return (io, base..<base + size)
    }

    private mutating func put<T: FixedWidthInteger>(_ v: T, at offset: Int) { Self.put(v, at: offset, into: &bytes) }
    private static func put<T: FixedWidthInteger>(_ v: T, at offset: Int, into a: inout [UInt8]) {
        for i in 0..<T.bitWidth / 8 { a[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }
}

/// A function on the host bridge's bus: its configuration space and the
/// registers behind its BARs (offsets within the BAR).
protocol PCIFunction: AnyObject {
    var config: PCIConfigSpace { get set }
    func barRead(_ bar: Int, offset: UInt64, size: Int) -> UInt64
    func barWrite(_ bar: Int, offset: UInt64, size: Int, value: UInt64)
}

extension PCIFunction {
    func barRead(_ bar: Int, offset: UInt64, size: Int) -> UInt64 { 0 }
    func barWrite(_ bar: Int, offset: UInt64, size: Int, value: UInt64) {}
}
