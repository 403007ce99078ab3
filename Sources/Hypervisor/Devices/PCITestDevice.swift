/// QEMU's pci-testdev (hw/misc/pci-testdev.c; vendor 1b36, device 0005,
/// class "other"), which kvm-unit-tests' pci-test drives: BAR0 is 4 KiB of
/// memory space, BAR1 256 bytes of I/O space. Writing n to byte 0 of either
/// selects test n of that BAR, whose header then reads back from offset 0:
///   u8 test; u8 width; u8 pad[2]; u32 offset; u32 data; u32 count; char name[]
/// and each write at `offset` (matching `data`, unless the test is a
/// wildcard) adds one to `count`. QEMU's tests check that KVM's ioeventfds
/// catch such writes; el2emu has none, so every test simply counts them.
/// Registers work a byte at a time, as QEMU's (max_access_size 1): a wider
/// access is that many byte accesses, lowest address first.
final class PCITestDevice: PCIFunction {
    var config = PCIConfigSpace(vendor: 0x1B36, device: 0x0005, classCode: 0x00FF00)

    struct Test {
        let header: [UInt8]
        /// Does any value written at `offset` count, or only `data`?
        let wildcard: Bool
        var count: UInt32 = 0
        var offset: UInt64 { UInt64(header[4]) | UInt64(header[5]) << 8 }
        var data: UInt8 { header[8] }
    }
    static let dataMatch: UInt8 = 0xFA, noMatch: UInt8 = 0xCE
    static let kinds = ["no-eventfd", "wildcard-eventfd", "datamatch-eventfd"]
    /// Tests 0-2 on BAR0 (mmio-...), 3-5 on BAR1 (portio-...), numbered as QEMU's.
    var tests: [Test]
    var current: Int?

    init() {
        config.declareBAR(0, size: 0x1000, io: false)
        config.declareBAR(1, size: 0x100, io: true)
        tests = (0..<6).map { i in
            let portIO = i >= 3
            let kind = Self.kinds[i % 3]
            // Each test's register sits past the header, at half the BAR plus its number.
            let offset = UInt32((portIO ? 0x80 : 0x800) + i)
            let wildcard = kind == "wildcard-eventfd"
            var h: [UInt8] = [UInt8(i), 1, 0, 0]
            h += (0..<4).map { UInt8(truncatingIfNeeded: offset >> (8 * $0)) }
            h += [wildcard ? Self.noMatch : Self.dataMatch, 0, 0, 0, 0, 0, 0, 0]
            h += Array("\(portIO ? "portio" : "mmio")-\(kind)".utf8) + [0]
            return Test(header: h, wildcard: wildcard)
        }
    }

    func barRead(_ bar: Int, offset: UInt64, size: Int) -> UInt64 {
        (0..<min(size, 8)).reduce(0) { $0 | UInt64(readByte(offset &+ UInt64($1))) << (8 * UInt64($1)) }
    }

    func barWrite(_ bar: Int, offset: UInt64, size: Int, value: UInt64) {
        for i in 0..<min(size, 8) { writeByte(bar, offset &+ UInt64(i), UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// The current test's header with its count; 0 past it (and, as QEMU's, at its last byte).
    private func readByte(_ offset: UInt64) -> UInt8 {
        guard let t = current.map({ tests[$0] }), offset &+ 1 < UInt64(t.header.count) else { return 0 }
        if (12..<16).contains(offset) { return UInt8(truncatingIfNeeded: t.count >> (8 * (offset - 12))) }
        return t.header[Int(offset)]
    }

    private func writeByte(_ bar: Int, _ offset: UInt64, _ value: UInt8) {
        if offset == 0 {
            current = nil
            guard value < 3 else { return }
            let n = bar * 3 + Int(value)
            tests[n].count = 0
            current = n
            return
        }
        guard let n = current, offset == tests[n].offset else { return }
        if !tests[n].wildcard && value != tests[n].data { return }
        tests[n].count &+= 1
    }
}
