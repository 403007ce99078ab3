/// The A64 instructions the EL2 model must recognise to build a syndrome,
/// decoded from their 32-bit encoding (Arm ARM C4, "Exception generation" and
/// "System" classes). Anything else is `.other`.
public enum Instruction: Equatable, Sendable {
    case hvc(imm16: UInt16)
    case smc(imm16: UInt16)
    case svc(imm16: UInt16)
    case hlt(imm16: UInt16)
    case brk(imm16: UInt16)
    case wfi, wfe, sev, sevl, yield
    case eret
    /// MSR DAIFSet / DAIFClr, #imm4.
    case msrDAIFSet(InterruptMask), msrDAIFClr(InterruptMask)
    /// MSR <sysreg>, Xt (isRead false) or MRS Xt, <sysreg> (isRead true).
    case systemRegister(SystemRegister, rt: Int, isRead: Bool)
    /// SYS #op1, Cn, Cm, #op2, Xt (DC, IC, TLBI, AT).
    case system(SystemRegister, rt: Int)
    case other(UInt32)

    public init(_ w: UInt32) {
        let imm16 = UInt16(truncatingIfNeeded: w >> 5)
        switch w {
        case _ where w & 0xFFE0_001F == 0xD400_0001: self = .svc(imm16: imm16)
        case _ where w & 0xFFE0_001F == 0xD400_0002: self = .hvc(imm16: imm16)
        case _ where w & 0xFFE0_001F == 0xD400_0003: self = .smc(imm16: imm16)
        case _ where w & 0xFFE0_001F == 0xD420_0000: self = .brk(imm16: imm16)
        case _ where w & 0xFFE0_001F == 0xD440_0000: self = .hlt(imm16: imm16)
        case 0xD503_207F: self = .wfi
        case 0xD503_205F: self = .wfe
        case 0xD503_209F: self = .sev
        case 0xD503_20BF: self = .sevl
        case 0xD503_203F: self = .yield
        case 0xD69F_03E0: self = .eret
        case _ where w & 0xFFFF_F0FF == 0xD503_40DF: self = .msrDAIFSet(InterruptMask(rawValue: UInt8((w >> 8) & 0xF)))
        case _ where w & 0xFFFF_F0FF == 0xD503_40FF: self = .msrDAIFClr(InterruptMask(rawValue: UInt8((w >> 8) & 0xF)))
        case _ where w & 0xFFD0_0000 == 0xD510_0000:
            self = .systemRegister(Instruction.sysreg(w, op0: UInt8(2 + ((w >> 19) & 1))), rt: Int(w & 31), isRead: w & (1 << 21) != 0)
        case _ where w & 0xFFF8_0000 == 0xD508_0000:
            self = .system(Instruction.sysreg(w, op0: 1), rt: Int(w & 31))
        default: self = .other(w)
        }
    }

    static func sysreg(_ w: UInt32, op0: UInt8) -> SystemRegister {
        SystemRegister(op0, UInt8((w >> 16) & 7), UInt8((w >> 12) & 0xF), UInt8((w >> 8) & 0xF), UInt8((w >> 5) & 7))
    }

    /// Does the instruction word use FP/SIMD, so that CPACR_EL1.FPEN and CPTR_EL2.TFP trap it?
    /// The SIMD&FP data-processing group (op0 x111), the loads and stores with V = 1
    /// (op0 x1x0, bit 26), and MRS/MSR of FPCR and FPSR.
    public static func usesFPOrSIMD(_ w: UInt32) -> Bool {
        if w & 0x0E00_0000 == 0x0E00_0000 { return true }
        if w & 0x0A00_0000 == 0x0800_0000 && w & (1 << 26) != 0 { return true }
        if case .systemRegister(let r, _, _) = Instruction(w) { return r == SystemRegister(3, 3, 4, 4, 0) || r == SystemRegister(3, 3, 4, 4, 1) }
        return false
    }

    /// Does this instruction change PSTATE.DAIF without an exception (for DAIF tracing)?
    public var writesDAIF: Bool {
        switch self {
        case .msrDAIFSet, .msrDAIFClr, .eret: return true
        case .systemRegister(let r, _, let isRead): return !isRead && r == .DAIF
        default: return false
        }
    }
}
