/// What the stub debugs: one CPU's registers (AArch64RegisterLayout
/// numbering), its memory, and breakpoints. The emulator implements it.
public protocol DebugTarget: AnyObject {
    func readRegister(_ n: Int) -> UInt64
    func writeRegister(_ n: Int, _ value: UInt64) -> Bool
    func readMemory(address: UInt64, length: Int) -> [UInt8]?
    func writeMemory(address: UInt64, bytes: [UInt8]) -> Bool
    func insertBreakpoint(_ address: UInt64) -> Bool
    func removeBreakpoint(_ address: UInt64) -> Bool
}

/// Why the target stopped, as reported to the debugger.
public enum StopSignal: Equatable, Sendable {
    case trap          // breakpoint or step: SIGTRAP (5)
    case interrupt     // Ctrl-C or attach: SIGINT (2)
    case exited(Int32) // W status
    case terminated    // X09: killed or stopped on an error

    /// The stop-reply packet.
    public var reply: String {
        switch self {
        case .trap: return "T05thread:1;"
        case .interrupt: return "T02thread:1;"
        case .exited(let s): return "W" + Hex.encode([UInt8(truncatingIfNeeded: s)])
        case .terminated: return "X09"
        }
    }
}

/// What the debugger asked the target to do next.
public enum ResumeAction: Equatable, Sendable {
    case proceed
    case step
    case kill
    /// The debugger went away: run on without it.
    case detach
}
