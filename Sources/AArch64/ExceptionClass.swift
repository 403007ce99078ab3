/// ESR_ELx.EC: why an exception was taken (Arm ARM D17.2.37, Linux esr.h).
public enum ExceptionClass: UInt8, Sendable, CustomStringConvertible {
    case unknown = 0x00
    case wfx = 0x01
    case fpAccess = 0x07
    case illegalState = 0x0E
    case svc64 = 0x15
    case hvc64 = 0x16
    case smc64 = 0x17
    case sys64 = 0x18
    case instructionAbortLowerEL = 0x20
    case instructionAbortCurrentEL = 0x21
    case pcAlignment = 0x22
    case dataAbortLowerEL = 0x24
    case dataAbortCurrentEL = 0x25
    case spAlignment = 0x26
    case serror = 0x2F
    case breakpointLowerEL = 0x30
    case breakpointCurrentEL = 0x31
    case softwareStepLowerEL = 0x32
    case softwareStepCurrentEL = 0x33
    case watchpointLowerEL = 0x34
    case watchpointCurrentEL = 0x35
    case brk64 = 0x3C

    /// Linux's ESR_ELx_EC_* short name.
    public var description: String {
        switch self {
        case .unknown: return "UNKNOWN"
        case .wfx: return "WFx"
        case .fpAccess: return "FP_ASIMD"
        case .illegalState: return "ILL"
        case .svc64: return "SVC64"
        case .hvc64: return "HVC64"
        case .smc64: return "SMC64"
        case .sys64: return "SYS64"
        case .instructionAbortLowerEL: return "IABT_LOW"
        case .instructionAbortCurrentEL: return "IABT_CUR"
        case .pcAlignment: return "PC_ALIGN"
        case .dataAbortLowerEL: return "DABT_LOW"
        case .dataAbortCurrentEL: return "DABT_CUR"
        case .spAlignment: return "SP_ALIGN"
        case .serror: return "SERROR"
        case .breakpointLowerEL: return "BREAKPT_LOW"
        case .breakpointCurrentEL: return "BREAKPT_CUR"
        case .softwareStepLowerEL: return "SOFTSTP_LOW"
        case .softwareStepCurrentEL: return "SOFTSTP_CUR"
        case .watchpointLowerEL: return "WATCHPT_LOW"
        case .watchpointCurrentEL: return "WATCHPT_CUR"
        case .brk64: return "BRK64"
        }
    }
}
