/// VTCR_EL2, the stage-2 translation control (Arm ARM D17.2, Linux kvm_arm.h
/// VTCR_EL2_*): T0SZ [5:0] (IPA size = 64 - T0SZ), SL0 [7:6] (4 KiB
/// granule: 0 = start at level 2, 1 = level 1, 2 = level 0), IRGN0 [9:8],
/// ORGN0 [11:10], SH0 [13:12], TG0 [15:14] (0 = 4 KiB), PS [18:16], VS [19].
public struct VTCR: Hashable, Sendable {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }

    public init(t0sz: Int, sl0: Int, ps: Int = 2) {
        // Inner/Outer write-back cacheable, inner shareable walks, 4 KiB granule; RES1 bit 31.
        raw = UInt64(t0sz & 0x3F) | UInt64(sl0 & 3) << 6 | 1 << 8 | 1 << 10 | 3 << 12 | UInt64(ps & 7) << 16 | 1 << 31
    }

    /// KVM's classic layout: 40-bit IPA, start at level 1 (two concatenated level-1 tables).
    public static let kvm40BitIPA = VTCR(t0sz: 24, sl0: 1)
    /// A 32-bit IPA starting at level 2 (four concatenated level-2 tables).
    public static let ipa32BitLevel2 = VTCR(t0sz: 32, sl0: 0)

    public var t0sz: Int { Int(raw & 0x3F) }
    public var sl0: Int { Int((raw >> 6) & 3) }
    public var tg0: Int { Int((raw >> 14) & 3) }
    public var ps: Int { Int((raw >> 16) & 7) }
    /// The IPA size in bits.
    public var inputBits: Int { 64 - t0sz }

    /// The level the walk starts at, with a 4 KiB granule; nil for a reserved SL0.
    public var startLevel: Int? {
        switch sl0 { case 0: return 2; case 1: return 1; case 2: return 0; default: return nil }
    }

    /// The number of concatenated tables at the start level (1...16), or nil
    /// when T0SZ and SL0 do not fit together (Arm ARM D8.2.3: a stage-2
    /// start level may resolve up to 4 extra bits by concatenating tables).
    public var concatenatedTables: Int? {
        guard tg0 == 0, let start = startLevel, (16...39).contains(t0sz) else { return nil }
        let resolvedAtStart = inputBits - VTCR.shift(level: start)
        guard resolvedAtStart >= 1, resolvedAtStart <= 9 + 4 else { return nil }
        return resolvedAtStart > 9 ? 1 << (resolvedAtStart - 9) : 1
    }

    /// The input address bit a level's index starts at (4 KiB granule): L0 39, L1 30, L2 21, L3 12.
    public static func shift(level: Int) -> Int { 12 + 9 * (3 - level) }
}

/// VTTBR_EL2: BADDR [47:1] (the start-level table, aligned to its size),
/// VMID [63:48] (8 bits without FEAT_VMID16), CnP [0].
public struct VTTBR: Hashable, Sendable {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }
    public init(baseAddress: UInt64, vmid: UInt16) {
        raw = UInt64(vmid) << 48 | baseAddress & 0x0000_FFFF_FFFF_FFFE
    }
    public var baseAddress: UInt64 { raw & 0x0000_FFFF_FFFF_FFFE }
    public var vmid: UInt16 { UInt16(truncatingIfNeeded: raw >> 48) }
}
