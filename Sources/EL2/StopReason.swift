/// Why a run ended.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
    /// The guest asked to stop (semihosting SYS_EXIT, PSCI SYSTEM_OFF/RESET).
    case guestExit(status: Int32, how: String)
    case instructionLimit(UInt64)
    case virtualTimeLimit(UInt64)
    case wallClockTimeout(seconds: Double)
    /// The host sent el2emu a signal (SIGINT, SIGTERM): the run ends at once, its trace kept.
    case hostSignal(Int32)
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
        case .hostSignal(let s): return "stopped: \(StopReason.signalName(s)) received"
        case .traceLimit(let n): return "stopped: the trace reached its limit of \(n) events (--trace-limit)"
        case .deadlock(let pc): return "stopped: WFI at 0x\(String(pc, radix: 16)) with no interrupt that can ever wake the vCPU"
        case .error(let m): return "error: \(m)"
        }
    }

    /// el2emu's exit status for this stop: 0 only for a guest status of 0; a
    /// guest status of 1...63 as it is, any other (negative, 64 and up) as 63,
    /// so that none reads as a usage error (64), a limit (124), a deadlock
    /// (125), an error (126) or a signal (128 + n, the shell's convention).
    public var exitStatus: Int32 {
        switch self {
        case .guestExit(let s, _): return s == 0 ? 0 : (1...63).contains(s) ? s : 63
        case .hostSignal(let s): return 128 &+ s
        case .instructionLimit, .virtualTimeLimit, .wallClockTimeout, .traceLimit: return 124
        case .deadlock: return 125
        case .error: return 126
        }
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case 2: return "SIGINT"
        case 15: return "SIGTERM"
        case 1: return "SIGHUP"
        default: return "signal \(s)"
        }
    }
}
