/// The fault status code of a data or instruction abort (ESR_ELx.ISS DFSC /
/// IFSC [5:0], Arm ARM D17.2.37): translation, access flag and permission
/// faults carry the lookup level in bits [1:0].
public enum FaultStatus: Equatable, Sendable, CustomStringConvertible {
    case addressSize(level: Int)
    case translation(level: Int)
    case accessFlag(level: Int)
    case permission(level: Int)
    case synchronousExternal
    case alignment
    /// A synchronous Tag Check Fault (FEAT_MTE; MemoryTagging.swift).
    case tagCheck

    public var code: UInt32 {
        switch self {
        case .addressSize(let l): return 0b000000 | UInt32(l & 3)
        case .translation(let l): return 0b000100 | UInt32(l & 3)
        case .accessFlag(let l): return 0b001000 | UInt32(l & 3)
        case .permission(let l): return 0b001100 | UInt32(l & 3)
        case .synchronousExternal: return 0b010000
        case .alignment: return 0b100001
        case .tagCheck: return 0b010001
        }
    }

    public init?(code: UInt32) {
        let l = Int(code & 3)
        switch code & 0x3F {
        case 0b000000...0b000011: self = .addressSize(level: l)
        case 0b000100...0b000111: self = .translation(level: l)
        case 0b001000...0b001011: self = .accessFlag(level: l)
        case 0b001100...0b001111: self = .permission(level: l)
        case 0b010000: self = .synchronousExternal
        case 0b100001: self = .alignment
        case 0b010001: self = .tagCheck
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .addressSize(let l): return "address size fault, level \(l)"
        case .translation(let l): return "translation fault, level \(l)"
        case .accessFlag(let l): return "access flag fault, level \(l)"
        case .permission(let l): return "permission fault, level \(l)"
        case .synchronousExternal: return "synchronous external abort"
        case .alignment: return "alignment fault"
        case .tagCheck: return "synchronous tag check fault"
        }
    }
}
