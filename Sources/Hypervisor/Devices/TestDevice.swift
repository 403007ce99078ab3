/// A test device for I/O benchmarks and MMIO tests (at 0x0A00_0000, where
/// QEMU virt has virtio-mmio): 4 KiB of byte-addressable registers that read
/// back what was written, little-endian, at any width. The register at
/// +0x08 (bytes 0x08-0x0F) is served by a user-space device model (the exit
/// returns to user space, like kvm-unit-tests' mmio_read_user); everything
/// else is served in the kernel (like an ioeventfd or a vGIC register).
final class TestDevice: Device {
    let name = "testdev"
    let base: UInt64
    let size: UInt64 = 0x1000
    var bytes = [UInt8](repeating: 0, count: 0x1000)
    static let userRegister: Range<UInt64> = 0x08..<0x10

    init(base: UInt64) {
        self.base = base
        // A recognisable pattern so that reads of every width have known values.
        for i in 0..<0x1000 { bytes[i] = UInt8(truncatingIfNeeded: i &* 0x11 &+ 0x80) }
    }

    func servedInKernel(offset: UInt64) -> Bool { !TestDevice.userRegister.contains(offset) }

    func read(offset: UInt64, size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<min(size, 8) where offset &+ UInt64(i) < self.size {
            v |= UInt64(bytes[Int(offset) + i]) << UInt64(8 * i)
        }
        return v
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        for i in 0..<min(size, 8) where offset &+ UInt64(i) < self.size {
            bytes[Int(offset) + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
        }
    }
}
