/// A Linux arm64 `Image` (Documentation/arch/arm64/booting.rst): a 64-byte
/// header with text_offset at 0x08, image_size at 0x10 and magic "ARM\x64"
/// at 0x38. Loaded at RAM base + text_offset; execution starts at its first byte.
enum LinuxImage {
    static func parse(_ b: [UInt8], name: String, ramBase: UInt64) throws -> GuestImage {
        guard b.count >= 64 else { throw GuestImage.LoadError(description: "\(name): truncated arm64 Image header") }
        var textOffset = ELFImage.u64(b, 8)
        let imageSize = ELFImage.u64(b, 16)
        // Kernels before 3.17 have image_size 0 and expect text_offset 0x80000.
        if imageSize == 0 { textOffset = 0x80000 }
        guard textOffset < 1 << 32 else { throw GuestImage.LoadError(description: "\(name): text_offset 0x\(String(textOffset, radix: 16)) is implausible") }
        let address = ramBase &+ textOffset
        let memsz = max(imageSize, UInt64(b.count))
        return GuestImage(format: .image, segments: [.init(address: address, bytes: b, memorySize: memsz)], entry: address)
    }
}
