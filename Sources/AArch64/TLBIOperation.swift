/// The TLB maintenance operations the stage-2 model implements (Arm ARM
/// C5.5, SYS encodings op1, CRn=8, CRm, op2). The IPA operations take
/// Xt = IPA[47:12] in bits [35:0].
public enum TLBIOperation: Sendable, CustomStringConvertible {
    /// TLBI VMALLS12E1(IS): all stage-1 and stage-2 entries of the current VMID.
    case vmalls12e1, vmalls12e1is
    /// TLBI IPAS2E1(IS), Xt: stage-2 entries for one IPA page of the current VMID.
    case ipas2e1, ipas2e1is
    /// TLBI VMALLE1(IS): stage-1 entries of the current VMID (a guest's own, or KVM's after IPAS2E1).
    case vmalle1, vmalle1is

    public var encoding: SystemRegister {
        switch self {
        case .vmalls12e1: return SystemRegister(1, 4, 8, 7, 6)
        case .vmalls12e1is: return SystemRegister(1, 4, 8, 3, 6)
        case .ipas2e1: return SystemRegister(1, 4, 8, 4, 1)
        case .ipas2e1is: return SystemRegister(1, 4, 8, 0, 1)
        case .vmalle1: return SystemRegister(1, 0, 8, 7, 0)
        case .vmalle1is: return SystemRegister(1, 0, 8, 3, 0)
        }
    }

    public var description: String {
        switch self {
        case .vmalls12e1: return "TLBI VMALLS12E1"
        case .vmalls12e1is: return "TLBI VMALLS12E1IS"
        case .ipas2e1: return "TLBI IPAS2E1"
        case .ipas2e1is: return "TLBI IPAS2E1IS"
        case .vmalle1: return "TLBI VMALLE1"
        case .vmalle1is: return "TLBI VMALLE1IS"
        }
    }

    /// The Xt operand of an IPA operation.
    public static func ipaOperand(_ ipa: UInt64) -> UInt64 { (ipa >> 12) & 0xF_FFFF_FFFF }
}
