/// An A64 load or store decoded for a data abort (Arm ARM C4.1.66 "Loads and
/// Stores"): what ESR_ELx.ISS reports (size, sign extension, Rt, register
/// width, acquire/release, ISV) and how to recompute its virtual address.
public struct LoadStore: Equatable, Sendable {
    /// How the address is formed from the base register Rn (31 = SP).
    public enum Addressing: Equatable, Sendable {
        /// [Xn|SP, #imm] (unsigned scaled, unscaled LDUR, unprivileged LDTR, pair offset)
        case offset(Int64)
        /// [Xn|SP, #imm]! : the base is written back before the access.
        case preIndex(Int64)
        /// [Xn|SP], #imm : the access uses the old base, then writes it back.
        case postIndex(Int64)
        /// [Xn|SP, Rm{, extend {#amount}}]: `extend` is the option field (UXTW 2, LSL 3, SXTW 6, SXTX 7).
        case register(rm: Int, extend: Int, shift: Int)
        /// PC-relative LDR (literal).
        case literal(Int64)
        /// [Xn] rounded down to a block of this many bytes (DC ZVA).
        case alignedDown(UInt64)
    }

    public var isLoad: Bool
    /// Bytes per register transferred (1, 2, 4, 8 or 16); for a SIMD
    /// structure load/store or DC ZVA, every byte the instruction transfers.
    public var size: Int
    /// Sign-extending load (ISS.SSE).
    public var signExtend: Bool
    public var rt: Int
    public var rt2: Int?
    public var rn: Int
    /// The register written or read is 64 bits wide (ISS.SF).
    public var sixtyFourBit: Bool
    /// Load-acquire / store-release (ISS.AR).
    public var acquireRelease: Bool
    public var isVector: Bool
    public var isExclusive: Bool
    public var addressing: Addressing

    public var isPair: Bool { rt2 != nil }
    /// Every byte the instruction reads or writes.
    public var totalBytes: Int { size * (isPair ? 2 : 1) }
    public var writesBack: Bool {
        switch addressing { case .preIndex, .postIndex: return true; default: return false }
    }

    /// ISV: the syndrome describes the access only for a load or store of one
    /// general-purpose register without writeback (acquire/release included,
    /// exclusives and SIMD&FP not), as QEMU's syndrome.h and the Arm ARM say.
    public var syndromeValid: Bool { !isPair && !isVector && !writesBack && !isExclusive && size <= 8 }

    /// log2(size): ISS.SAS.
    public var sizeLog2: Int { size.trailingZeroBitCount }

    public init?(_ w: UInt32) {
        let rt = Int(w & 31), rn = Int((w >> 5) & 31)
        let v = w & (1 << 26) != 0
        if w & 0x3B00_0000 == 0x3900_0000 || w & 0x3B20_0000 == 0x3800_0000 || w & 0x3B20_0C00 == 0x3820_0800 {
            // Single register: unsigned offset, imm9 forms, register offset.
            let sizeField = Int(w >> 30), opc = Int((w >> 22) & 3)
            var size = 1 << sizeField, load: Bool, signed = false, sf: Bool
            if v {
                if opc & 2 != 0 { guard sizeField == 0 else { return nil }; size = 16 }
                load = opc & 1 != 0
                sf = false
            } else {
                switch opc {
                case 0: load = false; sf = sizeField == 3
                case 1: load = true; sf = sizeField == 3
                case 2:
                    guard sizeField != 3 else { return nil }   // PRFM: no access
                    load = true; signed = true; sf = true
                default:
                    guard sizeField < 2 else { return nil }
                    load = true; signed = true; sf = false
                }
            }
            let addressing: Addressing
            if w & 0x3B00_0000 == 0x3900_0000 {
                addressing = .offset(Int64((w >> 10) & 0xFFF) * Int64(size))
            } else if w & (1 << 21) != 0 {
                let option = Int((w >> 13) & 7)
                guard option & 2 != 0 else { return nil }
                addressing = .register(rm: Int((w >> 16) & 31), extend: option, shift: w & (1 << 12) != 0 ? size.trailingZeroBitCount : 0)
            } else {
                let imm9 = Int64(Int32(bitPattern: (w >> 12) << 23) >> 23)
                switch (w >> 10) & 3 {
                case 1: addressing = .postIndex(imm9)
                case 3: addressing = .preIndex(imm9)
                default: addressing = .offset(imm9)   // LDUR/STUR, LDTR/STTR
                }
            }
            self.init(isLoad: load, size: size, signExtend: signed, rt: rt, rt2: nil, rn: rn, sixtyFourBit: sf,
                      acquireRelease: false, isVector: v, isExclusive: false, addressing: addressing)
        } else if w & 0x3B00_0000 == 0x1800_0000 {
            // LDR (literal): opc 00 W / S, 01 X / D, 10 LDRSW / Q, 11 PRFM.
            let opc = Int(w >> 30)
            let imm = Int64(Int32(bitPattern: (w >> 5) << 13) >> 13) * 4
            if v {
                guard opc < 3 else { return nil }
                self.init(isLoad: true, size: 4 << opc, signExtend: false, rt: rt, rt2: nil, rn: 31, sixtyFourBit: false,
                          acquireRelease: false, isVector: true, isExclusive: false, addressing: .literal(imm))
            } else {
                guard opc < 3 else { return nil }
                self.init(isLoad: true, size: opc == 1 ? 8 : 4, signExtend: opc == 2, rt: rt, rt2: nil, rn: 31, sixtyFourBit: opc != 0,
                          acquireRelease: false, isVector: false, isExclusive: false, addressing: .literal(imm))
            }
        } else if w & 0x3A00_0000 == 0x2800_0000 {
            // Load/store pair: offset, pre-index, post-index (and the non-temporal forms).
            let opc = Int(w >> 30), load = w & (1 << 22) != 0
            let size: Int
            if v { guard opc < 3 else { return nil }; size = 4 << opc } else {
                guard opc != 3 else { return nil }
                size = opc == 2 ? 8 : 4
            }
            let imm = Int64(Int32(bitPattern: (w >> 15) << 25) >> 25) * Int64(size)
            let addressing: Addressing
            switch (w >> 23) & 3 {
            case 1: addressing = .postIndex(imm)
            case 3: addressing = .preIndex(imm)
            default: addressing = .offset(imm)
            }
            self.init(isLoad: load, size: size, signExtend: !v && opc == 1, rt: rt, rt2: Int((w >> 10) & 31), rn: rn,
                      sixtyFourBit: !v && opc != 0, acquireRelease: false, isVector: v, isExclusive: false, addressing: addressing)
        } else if w & 0x3F00_0000 == 0x0800_0000 {
            // Exclusives and load-acquire/store-release: size [31:30], o2 [23], L [22], o1 [21], o0 [15].
            let sizeField = Int(w >> 30)
            let o2 = w & (1 << 23) != 0, o1 = w & (1 << 21) != 0, o0 = w & (1 << 15) != 0
            let load = w & (1 << 22) != 0
            guard !(o2 && o1) else { return nil }   // CAS (ARMv8.1): not modelled
            self.init(isLoad: load, size: 1 << sizeField, signExtend: false, rt: rt, rt2: !o2 && o1 ? Int((w >> 10) & 31) : nil, rn: rn,
                      sixtyFourBit: sizeField == 3, acquireRelease: o0, isVector: false, isExclusive: !o2, addressing: .offset(0))
        } else if w & 0xBF80_0000 == 0x0C00_0000 || w & 0xBF80_0000 == 0x0C80_0000
                    || w & 0xBF00_0000 == 0x0D00_0000 {
            guard let total = LoadStore.structureBytes(w) else { return nil }
            // Post-indexed forms access at the old base.
            self.init(isLoad: w & (1 << 22) != 0, size: total, signExtend: false, rt: rt, rt2: nil, rn: rn, sixtyFourBit: false,
                      acquireRelease: false, isVector: true, isExclusive: false,
                      addressing: w & (1 << 23) != 0 ? .postIndex(Int64(total)) : .offset(0))
        } else if w & 0xFFFF_FFE0 == 0xD50B_7420 {
            // DC ZVA, Xt: a store of zeros to the 64-byte block holding Xt (DCZID_EL0.BS = 4).
            self.init(isLoad: false, size: 64, signExtend: false, rt: 31, rt2: nil, rn: rt, sixtyFourBit: false,
                      acquireRelease: false, isVector: false, isExclusive: false, addressing: .alignedDown(64))
        } else {
            return nil
        }
    }

    /// Bytes a SIMD structure load/store (LD1-LD4, ST1-ST4, LD1R-LD4R; Arm ARM
    /// C4.1.66 "Advanced SIMD load/store multiple/single structure") transfers.
    static func structureBytes(_ w: UInt32) -> Int? {
        let q = Int((w >> 30) & 1), opcode = Int((w >> 12) & 0xF), size = Int((w >> 10) & 3)
        if w & (1 << 24) == 0 {
            // Multiple structures: registers per opcode; each register is 8 or 16 bytes.
            let registers: [Int: Int] = [0b0000: 4, 0b0010: 4, 0b0100: 3, 0b0110: 3, 0b0111: 1, 0b1000: 2, 0b1010: 2]
            guard let n = registers[opcode] else { return nil }
            return n * (8 << q)
        }
        // Single structure (`opcode` here is opcode:S): selem from opcode<0>:R,
        // element size from opcode<2:1> and size.
        let selem = (((opcode >> 1) & 1) << 1) + Int((w >> 21) & 1) + 1
        let element: Int
        switch opcode >> 2 {
        case 0: element = 1
        case 1: element = 2
        case 2: element = size & 1 == 0 ? 4 : 8
        default:
            guard w & (1 << 22) != 0, opcode & 1 == 0 else { return nil }   // LDnR: loads only, S = 0
            element = 1 << size
        }
        return selem * element
    }

    public init(isLoad: Bool, size: Int, signExtend: Bool, rt: Int, rt2: Int?, rn: Int, sixtyFourBit: Bool,
                acquireRelease: Bool, isVector: Bool, isExclusive: Bool, addressing: Addressing) {
        self.isLoad = isLoad; self.size = size; self.signExtend = signExtend; self.rt = rt; self.rt2 = rt2; self.rn = rn
        self.sixtyFourBit = sixtyFourBit; self.acquireRelease = acquireRelease; self.isVector = isVector
        self.isExclusive = isExclusive; self.addressing = addressing
    }

    /// The virtual address of the (first) access, given the registers before
    /// the instruction executes. `x(n)` reads Xn for n < 31; `sp` is the stack pointer.
    public func address(pc: UInt64, sp: UInt64, x: (Int) -> UInt64) -> UInt64 {
        let base = rn == 31 ? sp : x(rn)
        switch addressing {
        case .offset(let i), .preIndex(let i): return base &+ UInt64(bitPattern: i)
        case .postIndex: return base
        case .literal(let i): return pc &+ UInt64(bitPattern: i)
        case .alignedDown(let n): return base & ~(n - 1)
        case .register(let rm, let extend, let shift):
            let raw = rm == 31 ? 0 : x(rm)
            let m: UInt64
            switch extend {
            case 2: m = raw & 0xFFFF_FFFF
            case 6: m = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: raw)))
            default: m = raw
            }
            return base &+ (m << UInt64(shift))
        }
    }
}
