import EL2
import Foundation

/// A guest image ready to load: segments at guest-physical addresses and an entry point.
public struct GuestImage: Sendable {
    public enum Format: String, CaseIterable, Sendable { case elf, image, binary }
    public struct Segment: Sendable {
        public var address: UInt64
        public var bytes: [UInt8]
        public var memorySize: UInt64   // bytes beyond `bytes` are zero (.bss)
    }
    public var format: Format
    public var segments: [Segment]
    public var entry: UInt64
    /// The highest guest-physical address the image occupies (exclusive).
    public var end: UInt64 { segments.map { $0.address &+ max($0.memorySize, UInt64($0.bytes.count)) }.max() ?? entry }

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Reads and parses `path`: an ELF64 AArch64 executable, or a Linux arm64
    /// `Image` (magic "ARM\x64" at 0x38), or (with `.binary`) a flat binary.
    public static func load(path: String, ramBase: UInt64, ramSize: UInt64, format: Format? = nil) throws -> GuestImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw LoadError(description: "\(path): no such file") }
        guard !isDirectory.boolValue else { throw LoadError(description: "\(path): is a directory, not an image file") }
        // The size and the header first: a file larger than guest RAM is never read whole.
        guard let file = FileHandle(forReadingAtPath: path), let size = try? file.seekToEnd() else {
            throw LoadError(description: "\(path): cannot read the file")
        }
        defer { try? file.close() }
        // Straight into the array (no Data copy), in chunks, stopping for a signal.
        func read(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
            var failed = false
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                while initialized < count && !failed {
                    let n = pread(file.fileDescriptor, buffer.baseAddress! + initialized, min(count - initialized, 64 << 20),
                                  off_t(offset) + off_t(initialized))
                    if n <= 0 || HostStop.signal.load(ordering: .relaxed) != 0 { failed = true } else { initialized += n }
                }
            }
            guard !failed else {
                let why = HostStop.signal.load(ordering: .relaxed) != 0 ? "stopped by a signal" : "cannot read"
                throw LoadError(description: "\(path): \(why) reading \(count) bytes at offset 0x\(String(offset, radix: 16))")
            }
            return bytes
        }
        let header = try read(0, Int(min(size, 64)))
        guard let kind = format ?? detect(header) else { return try parse(header, name: path, ramBase: ramBase, ramSize: ramSize) }
        if kind == .elf {
            let image = try ELFImage.parse(size: size, read: read, name: path, ramSize: ramSize)
            try image.check(name: path, ramBase: ramBase, ramSize: ramSize)
            return image
        }
        guard size <= ramSize else {
            throw LoadError(description: "\(path): the file has \(size) bytes, more than guest RAM (\(ramSize >> 20) MiB; try a larger --mem)")
        }
        return try parse(read(0, Int(size)), name: path, ramBase: ramBase, ramSize: ramSize, format: kind)
    }

    public static func parse(_ bytes: [UInt8], name: String, ramBase: UInt64, ramSize: UInt64, format: Format? = nil) throws -> GuestImage {
        let image: GuestImage
        switch format ?? detect(bytes) {
        case .elf: image = try ELFImage.parse(size: UInt64(bytes.count), read: { Array(bytes[Int($0)..<Int($0) + $1]) }, name: name, ramSize: ramSize)
        case .image: image = try LinuxImage.parse(bytes, name: name, ramBase: ramBase)
        case .binary:
            guard !bytes.isEmpty else { throw LoadError(description: "\(name): empty file") }
            image = GuestImage(format: .binary, segments: [Segment(address: ramBase &+ 0x80000, bytes: bytes, memorySize: UInt64(bytes.count))], entry: ramBase &+ 0x80000)
        case nil:
            throw LoadError(description: "\(name): not an ELF file or a Linux arm64 Image (use --format binary for a flat binary)")
        }
        try image.check(name: name, ramBase: ramBase, ramSize: ramSize)
        return image
    }

    static func detect(_ b: [UInt8]) -> Format? {
        if b.count >= 4 && b[0] == 0x7F && b[1] == 0x45 && b[2] == 0x4C && b[3] == 0x46 { return .elf }
        if b.count >= 0x40 && b[0x38] == 0x41 && b[0x39] == 0x52 && b[0x3A] == 0x4D && b[0x3B] == 0x64 { return .image }
        return nil
    }

    /// Every segment and the entry point must lie in guest RAM, without overlaps.
    /// A flat binary moved to `address` (QEMU's `-device loader,addr=`): loaded and entered there.
    public func placed(at address: UInt64, name: String, ramBase: UInt64, ramSize: UInt64) throws -> GuestImage {
        guard format == .binary, segments.count == 1 else { throw LoadError(description: "\(name): --load-address places a flat binary (--format binary) only") }
        guard address & 3 == 0 else { throw LoadError(description: "\(name): --load-address 0x\(String(address, radix: 16)) is not 4-byte aligned") }
        var image = self
        image.segments[0].address = address
        image.entry = address
        try image.check(name: name, ramBase: ramBase, ramSize: ramSize)
        return image
    }

    func check(name: String, ramBase: UInt64, ramSize: UInt64) throws {
        let ramEnd = ramBase &+ ramSize
        guard !segments.isEmpty else { throw LoadError(description: "\(name): no loadable segment") }
        for s in segments {
            let size = max(s.memorySize, UInt64(s.bytes.count))
            let (end, overflow) = s.address.addingReportingOverflow(size)
            if format == .image, !overflow, s.address >= ramBase, end > ramEnd {
                throw LoadError(description: "\(name): the kernel needs \((end - ramBase + (1 << 20) - 1) >> 20) MiB of RAM for its image (text_offset + image_size from the Image header), more than --mem gives (\(ramSize >> 20) MiB)")
            }
            guard !overflow, s.address >= ramBase, end <= ramEnd else {
                throw LoadError(description: "\(name): segment at 0x\(String(s.address, radix: 16)) (size 0x\(String(size, radix: 16))) lies outside guest RAM 0x\(String(ramBase, radix: 16))-0x\(String(ramEnd, radix: 16)) (try a larger --mem)")
            }
        }
        let sorted = segments.sorted { $0.address < $1.address }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.address &+ max(a.memorySize, UInt64(a.bytes.count)) > b.address {
            throw LoadError(description: "\(name): segments at 0x\(String(a.address, radix: 16)) and 0x\(String(b.address, radix: 16)) overlap")
        }
        guard entry >= ramBase, entry < ramEnd else {
            throw LoadError(description: "\(name): entry point 0x\(String(entry, radix: 16)) lies outside guest RAM 0x\(String(ramBase, radix: 16))-0x\(String(ramEnd, radix: 16))")
        }
        guard entry & 3 == 0 else { throw LoadError(description: "\(name): entry point 0x\(String(entry, radix: 16)) is not 4-byte aligned") }
    }
}
