/// ESR_ELx: EC [31:26], IL [25], ISS [24:0], built field by field as the
/// Arm ARM defines each syndrome (Linux esr.h, QEMU syndrome.h).
public struct ExceptionSyndrome: Hashable, Sendable {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }
    public init(ec: ExceptionClass, il: Bool = true, iss: UInt32) {
        raw = UInt64(ec.rawValue) << 26 | (il ? 1 << 25 : 0) | UInt64(iss & 0x1FF_FFFF)
    }

    public var ecRaw: UInt8 { UInt8((raw >> 26) & 0x3F) }
    public var ec: ExceptionClass? { ExceptionClass(rawValue: ecRaw) }
    public var il: Bool { raw & (1 << 25) != 0 }
    public var iss: UInt32 { UInt32(raw & 0x1FF_FFFF) }

    // MARK: Builders

    public static let unknown = ExceptionSyndrome(ec: .unknown, iss: 0)

    /// EC 0x01: CV=1, COND=0xE, TI=0 for WFI, 1 for WFE.
    public static func wfx(isWFE: Bool) -> ExceptionSyndrome {
        ExceptionSyndrome(ec: .wfx, iss: 1 << 24 | 0xE << 20 | (isWFE ? 1 : 0))
    }
    /// EC 0x07, FP/SIMD access trapped (CPACR_EL1.FPEN, CPTR_EL2.TFP): CV=1, COND=0xE from AArch64.
    public static let fpAccess = ExceptionSyndrome(ec: .fpAccess, iss: 1 << 24 | 0xE << 20)
    public static func hvc(imm16: UInt16) -> ExceptionSyndrome { ExceptionSyndrome(ec: .hvc64, iss: UInt32(imm16)) }
    public static func smc(imm16: UInt16) -> ExceptionSyndrome { ExceptionSyndrome(ec: .smc64, iss: UInt32(imm16)) }
    public static func svc(imm16: UInt16) -> ExceptionSyndrome { ExceptionSyndrome(ec: .svc64, iss: UInt32(imm16)) }

    /// EC 0x18: Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10] Rt[9:5] CRm[4:1] Dir[0] (1 = read).
    public static func sys64(_ r: SystemRegister, rt: Int, isRead: Bool) -> ExceptionSyndrome {
        let iss = UInt32(r.op0 & 3) << 20 | UInt32(r.op2 & 7) << 17 | UInt32(r.op1 & 7) << 14
            | UInt32(r.crn & 0xF) << 10 | UInt32(rt & 31) << 5 | UInt32(r.crm & 0xF) << 1 | (isRead ? 1 : 0)
        return ExceptionSyndrome(ec: .sys64, iss: iss)
    }

    // MARK: Decoders for SYS64

    public var sysRegister: SystemRegister {
        let i = iss
        return SystemRegister(UInt8((i >> 20) & 3), UInt8((i >> 14) & 7), UInt8((i >> 10) & 0xF),
                              UInt8((i >> 1) & 0xF), UInt8((i >> 17) & 7))
    }
    public var sysRt: Int { Int((iss >> 5) & 31) }
    public var sysIsRead: Bool { iss & 1 != 0 }
    public var wfxIsWFE: Bool { iss & 3 == 1 }
    public var imm16: UInt16 { UInt16(truncatingIfNeeded: iss) }
}
