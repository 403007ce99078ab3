import Foundation

/// A device tree file from the user (`--dtb`) is checked before a guest gets
/// it: the header's magic, version and sizes must describe the file, so a
/// guest never parses a blob that points outside itself.
extension FlattenedDeviceTree {
    public struct BlobError: Error, CustomStringConvertible { public let description: String }

    /// The largest blob the arm64 boot protocol allows (2 MiB).
    public static let maximumBlobSize = 2 << 20

    /// Reads and checks a blob file, looking at its size before reading it.
    public static func read(path: String) throws -> [UInt8] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            throw BlobError(description: "cannot read the file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw BlobError(description: "not a regular file") }
        guard size <= maximumBlobSize else {
            throw BlobError(description: "\(size) bytes is larger than the 2 MiB a device tree may have on arm64")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw BlobError(description: "cannot read the file") }
        let blob = [UInt8](data)
        try check(blob)
        return blob
    }

    /// The header checks of the Devicetree Specification (5.2).
    public static func check(_ blob: [UInt8]) throws {
        func be32(_ at: Int) -> Int { blob[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        guard blob.count >= 40 else { throw BlobError(description: "\(blob.count) bytes is too short for a device tree header (40)") }
        guard be32(0) == 0xD00D_FEED else {
            throw BlobError(description: "not a device tree blob (magic 0x\(String(be32(0), radix: 16)), expected 0xd00dfeed)")
        }
        let total = be32(4), structOffset = be32(8), stringsOffset = be32(12), reserveOffset = be32(16)
        let version = be32(20), lastCompatible = be32(24), stringsSize = be32(32)
        // size_dt_struct came with version 17; before it the block runs to the end.
        let structSize = version >= 17 ? be32(36) : max(0, total - structOffset)
        guard total <= blob.count, total >= 40 else {
            throw BlobError(description: "header says \(total) bytes but the file has \(blob.count)")
        }
        guard version >= 16, lastCompatible <= 17 else {
            throw BlobError(description: "version \(version) (last compatible \(lastCompatible)) is not one a kernel reads (16 or 17)")
        }
        for (name, offset, size) in [("structure block", structOffset, structSize), ("strings block", stringsOffset, stringsSize),
                                     ("memory reservation map", reserveOffset, 16)] {
            guard offset >= 40, size <= total, offset <= total - size else {
                throw BlobError(description: "its \(name) (offset \(offset), \(size) bytes) lies outside the \(total)-byte blob")
            }
        }
        guard structSize >= 4, be32(structOffset) == 1 else { throw BlobError(description: "its structure block does not begin with a node") }
    }
}
