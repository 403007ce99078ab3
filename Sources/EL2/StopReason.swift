/// Why a run ended.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
    /// The guest asked to stop (semihosting SYS_EXIT, PSCI SYSTEM_OFF/RESET).
    case guestExit(status: Int32, how: String)
    case instructionLimit(UInt64)
    case virtualTimeLimit(UInt64)
    case wallClockTimeout(seconds: Double)
    /// The trace reached `--trace-limit` events.
    case traceLimit(Int)
    /// WFI with nothing that can ever wake the vCPU.
    case deadlock(pc: UInt64)
    /// The model met something it cannot continue from.
    case error(String)

    public var description: String {
        switch self {
        case .guestExit(let s, let how): return "guest exited (\(how)) with status \(s)"
        case .instructionLimit(let n): return "stopped: instruction limit of \(n) reached (--max-insns)"
        case .virtualTimeLimit(let n): return "stopped: virtual time limit of \(n) cycles reached (--max-cycles)"
        case .wallClockTimeout(let s): return "stopped: host time limit of \(s) s reached (--timeout)"
        case .traceLimit(let n): return "stopped: the trace reached its limit of \(n) events (--trace-limit)"
        case .deadlock(let pc): return "stopped: WFI at 0x\(String(pc, radix: 16)) with no interrupt that can ever wake the vCPU"
        case .error(let m): return "error: \(m)"
        }
    }

    /// el2emu's exit status for this stop.
    public var exitStatus: Int32 {
        switch self {
        case .guestExit(let s, _): return s
        case .instructionLimit, .virtualTimeLimit, .wallClockTimeout, .traceLimit: return 124
        case .deadlock: return 125
        case .error: return 126
        }
    }
}
