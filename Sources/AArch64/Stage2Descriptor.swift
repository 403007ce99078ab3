/// A stage-2 translation table descriptor, 4 KiB granule (Arm ARM D8.3,
/// "VMSAv8-64 translation table format descriptors"): bits[1:0] 0b11 is a
/// table (levels 0-2) or a page (level 3), 0b01 a block (levels 1-2);
/// output address [47:12], MemAttr [5:2], S2AP [7:6] (bit 6 read, bit 7
/// write), SH [9:8], AF [10], XN [54].
public struct Stage2Descriptor: Hashable, Sendable {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }

    /// What a descriptor is, which depends on the level it was read at.
    public enum Kind: Equatable, Sendable { case invalid, table, block, page }

    public func kind(atLevel level: Int) -> Kind {
        switch raw & 3 {
        case 3: return level == 3 ? .page : .table
        case 1: return level == 1 || level == 2 ? .block : .invalid   // no level-0 blocks with 4 KiB and 48-bit OA
        default: return .invalid
        }
    }

    /// Output address bits [47:12]: the next table, the block or the page.
    public var outputAddress: UInt64 { raw & 0x0000_FFFF_FFFF_F000 }
    public var memAttr: UInt8 { UInt8((raw >> 2) & 0xF) }
    public var readable: Bool { raw & (1 << 6) != 0 }
    public var writable: Bool { raw & (1 << 7) != 0 }
    public var shareability: UInt8 { UInt8((raw >> 8) & 3) }
    public var accessFlag: Bool { raw & (1 << 10) != 0 }
    public var executeNever: Bool { raw & (1 << 54) != 0 }

    /// Stage-2 MemAttr for Normal memory, Inner/Outer Write-Back (0b1111) and Device-nGnRE (0b0001).
    public static let normalWriteBack: UInt8 = 0xF
    public static let deviceNGnRE: UInt8 = 0x1

    public static let invalid = Stage2Descriptor(raw: 0)

    /// A table descriptor pointing at the next level's table.
    public static func table(_ next: UInt64) -> Stage2Descriptor {
        Stage2Descriptor(raw: next & 0x0000_FFFF_FFFF_F000 | 3)
    }

    /// A block (level 1/2, `isPage` false) or page (level 3) descriptor.
    public static func leaf(_ output: UInt64, isPage: Bool, read: Bool = true, write: Bool = true, executeNever: Bool = false,
                            accessFlag: Bool = true, memAttr: UInt8 = normalWriteBack, shareability: UInt8 = 3) -> Stage2Descriptor {
        var r = output & 0x0000_FFFF_FFFF_F000 | (isPage ? 3 : 1)
        r |= UInt64(memAttr & 0xF) << 2
        if read { r |= 1 << 6 }
        if write { r |= 1 << 7 }
        r |= UInt64(shareability & 3) << 8
        if accessFlag { r |= 1 << 10 }
        if executeNever { r |= 1 << 54 }
        return Stage2Descriptor(raw: r)
    }
}
