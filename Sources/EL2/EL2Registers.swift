import AArch64

/// The EL2 register file. Unicorn cannot run EL2, so these registers live
/// here; the hypervisor reaches them only through `Processor`'s counted
/// `read`/`write`.
public struct EL2Registers: Sendable {
    public var hcr = HCR.hostNVHE
    public var sctlr: UInt64 = 0x30C5_0830   // SCTLR_EL2 RES1 bits
    public var mdcr: UInt64 = 0
    public var cptr: UInt64 = 0x33FF         // CPTR_EL2 RES1 bits (nVHE layout)
    public var ttbr0: UInt64 = 0
    public var ttbr1: UInt64 = 0
    public var tcr: UInt64 = 0
    public var vttbr: UInt64 = 0
    public var vtcr: UInt64 = 0
    public var spsr: UInt64 = 0
    public var elr: UInt64 = 0
    public var esr: UInt64 = 0
    public var far: UInt64 = 0
    public var hpfar: UInt64 = 0
    public var mair: UInt64 = 0
    public var vbar: UInt64 = 0
    public var contextidr: UInt64 = 0
    public var tpidr: UInt64 = 0
    public var cnthctl: UInt64 = 0x3        // EL1PCTEN|EL1PCEN: EL1 may use the physical timer
    public var cntvoff: UInt64 = 0
    public var vpidr: UInt64 = 0x411F_D070  // Cortex-A57 r1p0
    public var vmpidr: UInt64 = 0x8000_0000
    public var spEL2: UInt64 = 0
    /// Holds what an E2H-redirected *_EL1 access reaches when EL2 has no own copy.
    public var afsr0: UInt64 = 0, afsr1: UInt64 = 0, amair: UInt64 = 0

    public init() {}

    /// The register an EL2 access to `r` reaches, or nil if `r` is not an EL2 register.
    public subscript(r: SystemRegister) -> UInt64? {
        get {
            switch r {
            case .HCR_EL2: return hcr.rawValue
            case .SCTLR_EL2: return sctlr
            case .MDCR_EL2: return mdcr
            case .CPTR_EL2: return cptr
            case .TTBR0_EL2: return ttbr0
            case .TTBR1_EL2: return ttbr1
            case .TCR_EL2: return tcr
            case .VTTBR_EL2: return vttbr
            case .VTCR_EL2: return vtcr
            case .SPSR_EL2: return spsr
            case .ELR_EL2: return elr
            case .ESR_EL2: return esr
            case .FAR_EL2: return far
            case .HPFAR_EL2: return hpfar
            case .MAIR_EL2: return mair
            case .VBAR_EL2: return vbar
            case .CONTEXTIDR_EL2: return contextidr
            case .TPIDR_EL2: return tpidr
            case .CNTHCTL_EL2: return cnthctl
            case .CNTVOFF_EL2: return cntvoff
            case .VPIDR_EL2: return vpidr
            case .VMPIDR_EL2: return vmpidr
            case EL2Registers.AFSR0_EL2: return afsr0
            case EL2Registers.AFSR1_EL2: return afsr1
            case EL2Registers.AMAIR_EL2: return amair
            default: return nil
            }
        }
        set {
            guard let v = newValue else { return }
            switch r {
            case .HCR_EL2: hcr = HCR(rawValue: v)
            case .SCTLR_EL2: sctlr = v
            case .MDCR_EL2: mdcr = v
            case .CPTR_EL2: cptr = v
            case .TTBR0_EL2: ttbr0 = v
            case .TTBR1_EL2: ttbr1 = v
            case .TCR_EL2: tcr = v
            case .VTTBR_EL2: vttbr = v
            case .VTCR_EL2: vtcr = v
            case .SPSR_EL2: spsr = v
            case .ELR_EL2: elr = v
            case .ESR_EL2: esr = v
            case .FAR_EL2: far = v
            case .HPFAR_EL2: hpfar = v
            case .MAIR_EL2: mair = v
            case .VBAR_EL2: vbar = v
            case .CONTEXTIDR_EL2: contextidr = v
            case .TPIDR_EL2: tpidr = v
            case .CNTHCTL_EL2: cnthctl = v
            case .CNTVOFF_EL2: cntvoff = v
            case .VPIDR_EL2: vpidr = v
            case .VMPIDR_EL2: vmpidr = v
            case EL2Registers.AFSR0_EL2: afsr0 = v
            case EL2Registers.AFSR1_EL2: afsr1 = v
            case EL2Registers.AMAIR_EL2: amair = v
            default: break
            }
        }
    }

    static let AFSR0_EL2 = SystemRegister(3, 4, 5, 1, 0)
    static let AFSR1_EL2 = SystemRegister(3, 4, 5, 1, 1)
    static let AMAIR_EL2 = SystemRegister(3, 4, 10, 3, 0)

    /// With HCR_EL2.E2H, an EL2 access to an *_EL1 encoding reaches this *_EL2
    /// register instead (Arm ARM D13.2 "Register redirection"; CPACR→CPTR,
    /// CNTKCTL→CNTHCTL). ELR/SPSR_EL1 encodings reach ELR/SPSR_EL2.
    public static func e2hRedirect(_ r: SystemRegister) -> SystemRegister? {
        switch r {
        case .SCTLR_EL1: return .SCTLR_EL2
        case .CPACR_EL1: return .CPTR_EL2
        case .TTBR0_EL1: return .TTBR0_EL2
        case .TTBR1_EL1: return .TTBR1_EL2
        case .TCR_EL1: return .TCR_EL2
        case .AFSR0_EL1: return AFSR0_EL2
        case .AFSR1_EL1: return AFSR1_EL2
        case .ESR_EL1: return .ESR_EL2
        case .FAR_EL1: return .FAR_EL2
        case .MAIR_EL1: return .MAIR_EL2
        case .AMAIR_EL1: return AMAIR_EL2
        case .VBAR_EL1: return .VBAR_EL2
        case .CONTEXTIDR_EL1: return .CONTEXTIDR_EL2
        case .CNTKCTL_EL1: return .CNTHCTL_EL2
        case .ELR_EL1: return .ELR_EL2
        case .SPSR_EL1: return .SPSR_EL2
        default: return nil
        }
    }
}
