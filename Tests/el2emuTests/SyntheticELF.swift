/// A minimal ELF64 executable written field by field (System V gABI), so a
/// test can get exactly one thing wrong in an otherwise loadable image.
struct SyntheticELF {
    struct Segment {
        var address: UInt64
        var bytes: [UInt8]
        var memorySize: UInt64? = nil
        /// p_filesz as written, when a test wants it to disagree with the bytes.
        var fileSizeOverride: UInt64? = nil
    }

    var elfClass: UInt8 = 2        // ELFCLASS64
    var type: UInt16 = 2           // ET_EXEC
    var machine: UInt16 = 183      // EM_AARCH64
    var entry: UInt64 = 0x4008_0000
    var segments: [Segment] = [Segment(address: 0x4008_0000, bytes: SyntheticELF.exitWithSeven)]

    /// MOVZ X0, #0x18; ADR X1, block; HLT #0xF000; B .; block: {0x20026, 7}:
    /// semihosting SYS_EXIT with status 7.
    static let exitWithSeven: [UInt8] =
        [0xD280_0300, 0x1000_0061, 0xD45E_0000, 0x1400_0000].flatMap(le32) + le64(0x20026) + le64(7)

    var bytes: [UInt8] {
        let phoff = 64, phentsize = 56
        var dataOffset = UInt64(phoff + phentsize * segments.count)
        var ident: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, elfClass, 1, 1, 0]
        ident += [UInt8](repeating: 0, count: 8)
        var out = ident
        out += le16(type) + le16(machine) + le32(1) + le64(entry) + le64(UInt64(phoff)) + le64(0)
        out += le32(0) + le16(64) + le16(UInt16(phentsize)) + le16(UInt16(segments.count)) + le16(64) + le16(0) + le16(0)
        var data: [UInt8] = []
        for s in segments {
            let filesz = s.fileSizeOverride ?? UInt64(s.bytes.count)
            out += le32(1) + le32(7) + le64(dataOffset) + le64(s.address) + le64(s.address)
            out += le64(filesz) + le64(s.memorySize ?? UInt64(s.bytes.count)) + le64(0x1000)
            data += s.bytes
            dataOffset += UInt64(s.bytes.count)
        }
        return out + data
    }
}

func le16(_ v: UInt16) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
