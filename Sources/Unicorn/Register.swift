import CUnicorn

/// A Unicorn AArch64 register id (`uc_arm64_reg`).
public struct Register: Hashable, Sendable {
    public let id: Int32
    @usableFromInline init(_ r: uc_arm64_reg) { id = Int32(bitPattern: r.rawValue) }

    /// X0...X30.
    public static func x(_ n: Int) -> Register {
        precondition(n >= 0 && n <= 30)
        if n <= 28 { return Register(uc_arm64_reg(UC_ARM64_REG_X0.rawValue + UInt32(n))) }
        return n == 29 ? Register(UC_ARM64_REG_X29) : Register(UC_ARM64_REG_X30)
    }
    @inlinable public static var sp: Register { Register(UC_ARM64_REG_SP) }
    @inlinable public static var pc: Register { Register(UC_ARM64_REG_PC) }
    @inlinable public static var pstate: Register { Register(UC_ARM64_REG_PSTATE) }
    @inlinable public static var nzcv: Register { Register(UC_ARM64_REG_NZCV) }
    @inlinable public static var spEL0: Register { Register(UC_ARM64_REG_SP_EL0) }
    @inlinable public static var spEL1: Register { Register(UC_ARM64_REG_SP_EL1) }
    @inlinable public static var elrEL1: Register { Register(UC_ARM64_REG_ELR_EL1) }
    @inlinable public static var fpcr: Register { Register(UC_ARM64_REG_FPCR) }
    @inlinable public static var spEL2: Register { Register(UC_ARM64_REG_SP_EL2) }
    static var cpacrEL1: Register { Register(UC_ARM64_REG_CPACR_EL1) }
    @inlinable public static var fpsr: Register { Register(UC_ARM64_REG_FPSR) }

    /// The Unicorn id of the general-purpose register Xn that a hook reports.
    public var generalPurposeIndex: Int? {
        let v = UInt32(bitPattern: id)
        if v >= UC_ARM64_REG_X0.rawValue && v <= UC_ARM64_REG_X28.rawValue { return Int(v - UC_ARM64_REG_X0.rawValue) }
        if v == UC_ARM64_REG_X29.rawValue { return 29 }
        if v == UC_ARM64_REG_X30.rawValue { return 30 }
        if v == UC_ARM64_REG_XZR.rawValue { return 31 }
        return nil
    }
}

/// A system register named by its encoding (op0, op1, CRn, CRm, op2).
public struct SystemRegisterID: Hashable, Sendable {
    public var op0, op1, crn, crm, op2: UInt32
    public init(op0: UInt32, op1: UInt32, crn: UInt32, crm: UInt32, op2: UInt32) {
        self.op0 = op0; self.op1 = op1; self.crn = crn; self.crm = crm; self.op2 = op2
    }
}

extension SystemRegisterID {
    /// The Unicorn register id for encodings Unicorn exposes directly
    /// (field reads, much cheaper than a CP_REG lookup). SP_EL0/SP_EL1 are
    /// the banked copies: the live SP is `Register.sp`.
    var named: Register? {
        switch (op0, op1, crn, crm, op2) {
        case (3, 0, 4, 0, 1): return .elrEL1
        case (3, 0, 4, 1, 0): return .spEL0
        case (3, 4, 4, 1, 0): return .spEL1
        case (3, 0, 5, 2, 0): return Register(UC_ARM64_REG_ESR_EL1)
        case (3, 0, 6, 0, 0): return Register(UC_ARM64_REG_FAR_EL1)
        case (3, 0, 12, 0, 0): return Register(UC_ARM64_REG_VBAR_EL1)
        case (3, 0, 1, 0, 2): return .cpacrEL1
        case (3, 3, 13, 0, 2): return Register(UC_ARM64_REG_TPIDR_EL0)
        case (3, 3, 13, 0, 3): return Register(UC_ARM64_REG_TPIDRRO_EL0)
        case (3, 0, 13, 0, 4): return Register(UC_ARM64_REG_TPIDR_EL1)
        case (3, 0, 2, 0, 0): return Register(UC_ARM64_REG_TTBR0_EL1)
        case (3, 0, 2, 0, 1): return Register(UC_ARM64_REG_TTBR1_EL1)
        case (3, 0, 7, 4, 0): return Register(UC_ARM64_REG_PAR_EL1)
        case (3, 0, 10, 2, 0): return Register(UC_ARM64_REG_MAIR_EL1)
        default: return nil
        }
    }
}
