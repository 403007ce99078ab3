import Foundation

/// An initial ramdisk (`--initrd`) for a Linux guest, placed as QEMU's arm
/// boot loader places it (hw/arm/boot.c): at RAM base + min(RAM / 2, 128 MiB),
/// or just past the kernel if the kernel reaches beyond that, page aligned.
/// It becomes one more segment of the image, so the device tree is placed
/// clear of it and /chosen names it (`Configuration.initrd`).
public enum InitialRamdisk {
    public static func load(path: String, after image: GuestImage, ramBase: UInt64, ramSize: UInt64) throws -> (GuestImage, Range<UInt64>) {
        guard let data = FileManager.default.contents(atPath: path) else { throw GuestImage.LoadError(description: "\(path): cannot read the initrd") }
        return try place([UInt8](data), name: path, after: image, ramBase: ramBase, ramSize: ramSize)
    }

    public static func place(_ bytes: [UInt8], name: String, after image: GuestImage, ramBase: UInt64, ramSize: UInt64) throws -> (GuestImage, Range<UInt64>) {
        let size = UInt64(bytes.count)
        func mib(_ v: UInt64) -> String { "\((v + (1 << 20) - 1) >> 20) MiB" }
        guard size > 0 else { throw GuestImage.LoadError(description: "\(name): the initrd is empty") }
        guard size <= ramSize else {
            throw GuestImage.LoadError(description: "\(name): the initrd (\(mib(size))) is larger than guest RAM (\(mib(ramSize)), --mem)")
        }
        let start = (max(ramBase &+ min(ramSize / 2, 128 << 20), image.end) &+ 0xFFF) & ~0xFFF
        let ramEnd = ramBase &+ ramSize
        guard start <= ramEnd, size <= ramEnd - start else {
            throw GuestImage.LoadError(description: "\(name): the initrd (\(mib(size))) does not fit in guest RAM between the kernel's end (0x\(String(image.end, radix: 16))) and 0x\(String(ramEnd, radix: 16)); lower it would overlap the kernel (try a larger --mem)")
        }
        var placed = image
        placed.segments.append(.init(address: start, bytes: bytes, memorySize: size))
        return (placed, start..<start + size)
    }
}
