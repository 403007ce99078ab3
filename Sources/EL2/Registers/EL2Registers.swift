import AArch64

/// The EL2 register file. Unicorn cannot run EL2, so these registers live
/// here; the hypervisor reaches them only through `Processor`'s counted
/// `read`/`write`. Storage is a flat array indexed by a packed-encoding table.
public struct EL2Registers: Sendable {
    static let registers: [SystemRegister] = [
        .HCR_EL2, .SCTLR_EL2, .MDCR_EL2, .CPTR_EL2, .TTBR0_EL2, .TTBR1_EL2, .TCR_EL2, .VTTBR_EL2,
        .VTCR_EL2, .SPSR_EL2, .ELR_EL2, .ESR_EL2, .FAR_EL2, .HPFAR_EL2, .MAIR_EL2, .VBAR_EL2,
        .CONTEXTIDR_EL2, .TPIDR_EL2, .CNTHCTL_EL2, .CNTVOFF_EL2, .VPIDR_EL2, .VMPIDR_EL2,
        AFSR0_EL2, AFSR1_EL2, AMAIR_EL2,
    ]
    @inlinable static var hcrSlot: Int { 0 }
    /// Inline storage, one slot per entry of `registers`: no reference count or
    /// uniqueness check on the world switch's every access.
    @usableFromInline var values = InlineArray<25, UInt64>(repeating: 0)

    public init() {
        precondition(EL2Registers.registers.count == values.count, "EL2Registers: one storage slot per register")
        hcr = []              // HCR_EL2 resets to 0, as QEMU has it: the hypervisor sets its own at boot
        sctlr = SCTLR.EL2RES1
        cptr = CPTR.default.rawValue
        cnthctl = CNTHCTL.EL1PCTEN | CNTHCTL.EL1PCEN   // EL1 may use the physical timer
        vpidr = 0x411F_D070   // Cortex-A57 r1p0
        vmpidr = 0x8000_0000
    }

    static func key(_ r: SystemRegister) -> Int {
        Int(r.op0 & 3) << 14 | Int(r.op1 & 7) << 11 | Int(r.crn & 15) << 7 | Int(r.crm & 15) << 3 | Int(r.op2 & 7)
    }

    static let slotTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 1 << 16)
        for (i, r) in registers.enumerated() { t[key(r)] = Int8(i) }
        return t
    }()

    /// The register an EL2 access to `r` reaches, or nil if `r` is not an EL2 register.
    public subscript(r: SystemRegister) -> UInt64? {
        get {
            let i = EL2Registers.slotTable[EL2Registers.key(r)]
            return i < 0 ? nil : values[Int(i)]
        }
        set {
            let i = EL2Registers.slotTable[EL2Registers.key(r)]
            if i >= 0, let v = newValue { values[Int(i)] = v }
        }
    }

    @inlinable public var hcr: HCR { get { HCR(rawValue: values[0]) } set { values[0] = newValue.rawValue } }
    public var sctlr: UInt64 { get { values[1] } set { values[1] = newValue } }
    public var mdcr: UInt64 { get { values[2] } set { values[2] = newValue } }
    public var cptr: UInt64 { get { values[3] } set { values[3] = newValue } }
    public var vttbr: UInt64 { get { values[7] } set { values[7] = newValue } }
    public var vtcr: UInt64 { get { values[8] } set { values[8] = newValue } }
    public var spsr: UInt64 { get { values[9] } set { values[9] = newValue } }
    public var elr: UInt64 { get { values[10] } set { values[10] = newValue } }
    public var esr: UInt64 { get { values[11] } set { values[11] = newValue } }
    public var far: UInt64 { get { values[12] } set { values[12] = newValue } }
    public var hpfar: UInt64 { get { values[13] } set { values[13] = newValue } }
    public var vbar: UInt64 { get { values[15] } set { values[15] = newValue } }
    public var cnthctl: UInt64 { get { values[18] } set { values[18] = newValue } }
    public var cntvoff: UInt64 { get { values[19] } set { values[19] = newValue } }
    public var vpidr: UInt64 { get { values[20] } set { values[20] = newValue } }
    public var vmpidr: UInt64 { get { values[21] } set { values[21] = newValue } }

    static var AFSR0_EL2: SystemRegister { SystemRegister(3, 4, 5, 1, 0) }
    static var AFSR1_EL2: SystemRegister { SystemRegister(3, 4, 5, 1, 1) }
    static var AMAIR_EL2: SystemRegister { SystemRegister(3, 4, 10, 3, 0) }

    /// With HCR_EL2.E2H, an EL2 access to an *_EL1 encoding reaches the *_EL2
    /// register instead (Arm ARM D13.2 "Register redirection"; CPACR→CPTR,
    /// CNTKCTL→CNTHCTL; ELR/SPSR_EL1 reach ELR/SPSR_EL2). `RegisterRouting` routes by it.
    static let redirects: [(SystemRegister, SystemRegister)] = [
        (.SCTLR_EL1, .SCTLR_EL2), (.CPACR_EL1, .CPTR_EL2), (.TTBR0_EL1, .TTBR0_EL2), (.TTBR1_EL1, .TTBR1_EL2),
        (.TCR_EL1, .TCR_EL2), (.AFSR0_EL1, AFSR0_EL2), (.AFSR1_EL1, AFSR1_EL2), (.ESR_EL1, .ESR_EL2),
        (.FAR_EL1, .FAR_EL2), (.MAIR_EL1, .MAIR_EL2), (.AMAIR_EL1, AMAIR_EL2), (.VBAR_EL1, .VBAR_EL2),
        (.CONTEXTIDR_EL1, .CONTEXTIDR_EL2), (.CNTKCTL_EL1, .CNTHCTL_EL2), (.ELR_EL1, .ELR_EL2), (.SPSR_EL1, .SPSR_EL2),
    ]

    static let redirectTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 1 << 16)
        for (from, to) in redirects { t[key(from)] = slotTable[key(to)] }
        return t
    }()
}
