/// The Memory Tagging Extension (FEAT_MTE3; Arm ARM D10 "The Memory Tagging
/// Extension"): a 4-bit Allocation Tag per 16-byte granule of Tagged memory,
/// a Logical Address Tag in bits 59:56 of a pointer, and the instructions and
/// registers that set and check them.
public enum MemoryTagging {
    /// Bytes per tag granule (LOG2_TAG_GRANULE = 4).
    public static let granule: UInt64 = 16
    /// ID_AA64PFR1_EL1.MTE [11:8]: 3 is FEAT_MTE3 (asymmetric checking).
    public static let idFieldShift: UInt64 = 8
    public static let mte3: UInt64 = 3
    /// MAIR_ELx attribute 0xF0: Normal, Inner and Outer Write-Back, Tagged.
    public static let taggedAttribute: UInt8 = 0xF0
    /// GMID_EL1.BS: LDGM/STGM/STZGM move 2^4 words (64 bytes) of tags.
    public static let gmidBlockSize: UInt64 = 4

    /// The Logical Address Tag of a pointer (bits 59:56).
    @inlinable public static func tag(of address: UInt64) -> UInt8 { UInt8((address >> 56) & 0xF) }
    /// `address` with its Logical Address Tag replaced.
    @inlinable public static func address(_ address: UInt64, withTag t: UInt8) -> UInt64 {
        address & ~(0xF << 56) | UInt64(t & 0xF) << 56
    }

    /// Arm ARM ChooseNonExcludedTag: `tag` advanced `offset` times over the
    /// tags that `exclude` (bit n: tag n) leaves; 0 when all are excluded.
    public static func nonExcludedTag(_ tag: UInt8, offset: UInt8, exclude: UInt16) -> UInt8 {
        if exclude & 0xFFFF == 0xFFFF { return 0 }
        var t = tag & 0xF
        if offset == 0 {
            while exclude & (1 << UInt16(t)) != 0 { t = (t + 1) & 0xF }
            return t
        }
        for _ in 0..<offset {
            repeat { t = (t + 1) & 0xF } while exclude & (1 << UInt16(t)) != 0
        }
        return t
    }

    /// Tag Check Fault handling, SCTLR_ELx.TCF/TCF0 (Arm ARM D10.4).
    public enum CheckMode: UInt8, Sendable {
        case none = 0, synchronous = 1, asynchronous = 2, asymmetric = 3
        /// Is a failing access of this kind reported at once (true) or accumulated in TFSR (false)?
        public func isSynchronous(isLoad: Bool) -> Bool { self == .synchronous || self == .asymmetric && isLoad }
    }
    /// SCTLR_ELx.TCF [41:40] (the EL's own accesses), TCF0 [39:38] (EL0's), ATA [43], ATA0 [42].
    @inlinable public static func tcf(_ sctlr: UInt64, el0: Bool) -> CheckMode {
        CheckMode(rawValue: UInt8((sctlr >> (el0 ? 38 : 40)) & 3)) ?? .none
    }
    @inlinable public static func allocationTagAccess(_ sctlr: UInt64, el0: Bool) -> Bool { sctlr & (1 << (el0 ? 42 : 43)) != 0 }
    /// TFSR_ELx.TF0 / TF1: a tag check fault on the TTBR0 / TTBR1 half, accumulated.
    @inlinable public static func tfsrBit(for address: UInt64) -> UInt64 { address & (1 << 55) != 0 ? 2 : 1 }
    /// TCR_ELx.TBI0 [37] / TBI1 [38] and TCMA0 [57] / TCMA1 [58] for the half `address` is in.
    @inlinable public static func topByteIgnored(_ tcr: UInt64, _ address: UInt64) -> Bool {
        tcr & (address & (1 << 55) != 0 ? 1 << 38 : 1 << 37) != 0
    }
    /// TCMA: accesses with the all-zeros (TTBR0) or all-ones (TTBR1) tag are unchecked.
    @inlinable public static func unchecked(byTCMA tcr: UInt64, _ address: UInt64) -> Bool {
        let upper = address & (1 << 55) != 0
        return tcr & (upper ? 1 << 58 : 1 << 57) != 0 && tag(of: address) == (upper ? 0xF : 0)
    }
}

extension SystemRegister {
    @inlinable public static var TFSR_EL1: SystemRegister { SystemRegister(3, 0, 5, 6, 0) }
    @inlinable public static var TFSRE0_EL1: SystemRegister { SystemRegister(3, 0, 5, 6, 1) }
    @inlinable public static var TFSR_EL2: SystemRegister { SystemRegister(3, 4, 5, 6, 0) }
    @inlinable public static var TFSR_EL12: SystemRegister { SystemRegister(3, 5, 5, 6, 0) }
    @inlinable public static var RGSR_EL1: SystemRegister { SystemRegister(3, 0, 1, 0, 5) }
    @inlinable public static var GCR_EL1: SystemRegister { SystemRegister(3, 0, 1, 0, 6) }
    @inlinable public static var GCR_EL12: SystemRegister { SystemRegister(3, 5, 1, 0, 6) }
    @inlinable public static var GMID_EL1: SystemRegister { SystemRegister(3, 1, 0, 0, 4) }
    @inlinable public static var TCO: SystemRegister { SystemRegister(3, 3, 4, 2, 7) }

    /// The registers FEAT_MTE adds (UNDEFINED without it; trapped by HCR_EL2.ATA = 0 at EL1).
    public var isMemoryTagging: Bool {
        self == .TFSR_EL1 || self == .TFSRE0_EL1 || self == .TFSR_EL2 || self == .TFSR_EL12 || self == .RGSR_EL1
            || self == .GCR_EL1 || self == .GCR_EL12 || self == .GMID_EL1 || self == .TCO
    }
    /// The EL1 registers HCR_EL2.ATA = 0 traps from EL1 (EC 0x18; GMID_EL1 and TCO are not among them).
    public var isTrappedByATA: Bool {
        self == .TFSR_EL1 || self == .TFSRE0_EL1 || self == .RGSR_EL1 || self == .GCR_EL1
    }
}

extension HCR {
    /// HCR_EL2.ATA [56]: EL1/EL0 may access Allocation Tags; 0 traps the MTE registers from EL1.
    @inlinable public static var ATA: HCR { HCR(rawValue: 1 << 56) }
}

/// The MTE instructions (Arm ARM C6.2: STG, STZG, ST2G, STZ2G, STGP, LDG,
/// IRG, ADDG, SUBG, GMI, SUBP, and MSR TCO, #imm), decoded from their word.
public enum TagInstruction: Equatable, Sendable {
    /// STG/STZG/ST2G/STZ2G: set the tag of 1 or 2 granules at [Xn|SP + imm]
    /// (pre/post-index write back) to Xt's tag; zeroing forms also clear the data.
    case storeTag(rt: Int, rn: Int, addressing: LoadStore.Addressing, granules: Int, zero: Bool)
    /// STGP Xt, Xt2, [Xn|SP, #imm]: a pair of registers and the granule's tag from the address.
    case storeTagPair(rt: Int, rt2: Int, rn: Int, addressing: LoadStore.Addressing)
    /// LDG Xt, [Xn|SP, #imm]: Xt's tag from the granule's Allocation Tag.
    case loadTag(rt: Int, rn: Int, offset: Int64)
    /// IRG Xd|SP, Xn|SP, Xm: a random tag not excluded by GCR_EL1 or Xm.
    case insertRandomTag(rd: Int, rn: Int, rm: Int)
    /// ADDG/SUBG Xd|SP, Xn|SP, #uimm6 * 16, #uimm4.
    case addTag(rd: Int, rn: Int, offset: Int64, tagOffset: UInt8)
    /// GMI Xd, Xn|SP, Xm: Xm with bit (tag of Xn) set.
    case tagMaskInsert(rd: Int, rn: Int, rm: Int)
    /// SUBP Xd, Xn|SP, Xm|SP: the difference of the 56-bit addresses.
    case subtractPointer(rd: Int, rn: Int, rm: Int)
    /// MSR TCO, #imm: PSTATE.TCO.
    case setTCO(Bool)

    public init?(_ w: UInt32) {
        let rt = Int(w & 31), rn = Int((w >> 5) & 31)
        if w & 0xFF20_0000 == 0xD920_0000 {
            let opc = Int((w >> 22) & 3), op2 = Int((w >> 10) & 3)
            let imm = Int64(Int32(bitPattern: (w >> 12) << 23) >> 23) << 4
            if op2 == 0 {
                // LDG (opc 01); STZGM, STGM, LDGM (imm9 = 0) are FEAT_MTE2's EL1 block forms: not decoded.
                guard opc == 1 else { return nil }
                self = .loadTag(rt: rt, rn: rn, offset: imm)
                return
            }
            let addressing: LoadStore.Addressing = op2 == 1 ? .postIndex(imm) : op2 == 3 ? .preIndex(imm) : .offset(imm)
            self = .storeTag(rt: rt, rn: rn, addressing: addressing, granules: opc >= 2 ? 2 : 1, zero: opc & 1 != 0)
        } else if [0x6880_0000, 0x6900_0000, 0x6980_0000].contains(w & 0xFFC0_0000) {
            let imm = Int64(Int32(bitPattern: (w >> 15) << 25) >> 25) << 4
            let mode = (w >> 23) & 3
            let addressing: LoadStore.Addressing = mode == 1 ? .postIndex(imm) : mode == 3 ? .preIndex(imm) : .offset(imm)
            self = .storeTagPair(rt: rt, rt2: Int((w >> 10) & 31), rn: rn, addressing: addressing)
        } else if w & 0xFFE0_FC00 == 0x9AC0_1000 {
            self = .insertRandomTag(rd: rt, rn: rn, rm: Int((w >> 16) & 31))
        } else if w & 0xFFE0_FC00 == 0x9AC0_1400 {
            self = .tagMaskInsert(rd: rt, rn: rn, rm: Int((w >> 16) & 31))
        } else if w & 0xFFE0_FC00 == 0x9AC0_0000 {
            self = .subtractPointer(rd: rt, rn: rn, rm: Int((w >> 16) & 31))
        } else if w & 0xBFC0_C000 == 0x9180_0000 {
            let offset = Int64((w >> 16) & 0x3F) << 4
            self = .addTag(rd: rt, rn: rn, offset: w & (1 << 30) != 0 ? -offset : offset, tagOffset: UInt8((w >> 10) & 0xF))
        } else if w & 0xFFFF_F0FF == 0xD503_409F {
            self = .setTCO(w & (1 << 8) != 0)
        } else {
            return nil
        }
    }
}
