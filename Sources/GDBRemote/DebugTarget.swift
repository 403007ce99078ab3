/// What the stub debugs: the vCPUs (gdb's threads, numbered from 1), their
/// registers (AArch64RegisterLayout numbering), memory as each sees it,
/// breakpoints, and monitor commands. The emulator implements it.
public protocol DebugTarget: AnyObject {
    var layout: AArch64RegisterLayout { get }
    var threadCount: Int { get }
    /// Register `n` of `thread` as little-endian bytes (the layout's size); nil: unavailable.
    func readRegister(_ n: Int, thread: Int) -> [UInt8]?
    func writeRegister(_ n: Int, _ bytes: [UInt8], thread: Int) -> Bool
    func readMemory(address: UInt64, length: Int, thread: Int) -> [UInt8]?
    func writeMemory(address: UInt64, bytes: [UInt8], thread: Int) -> Bool
    func insertBreakpoint(_ address: UInt64) -> Bool
    func removeBreakpoint(_ address: UInt64) -> Bool
    /// `monitor COMMAND`: the text to show the user.
    func monitor(_ command: String, thread: Int) -> String
}

/// Why the target stopped, as reported to the debugger.
public enum StopSignal: Equatable, Sendable {
    case trap          // breakpoint or step: SIGTRAP (5)
    case interrupt     // Ctrl-C or attach: SIGINT (2)
    case exited(Int32) // W status
    case terminated    // X09: killed or stopped on an error

    /// The stop-reply packet, naming the thread that stopped.
    public func reply(thread: Int) -> String {
        switch self {
        case .trap: return "T05thread:\(String(thread, radix: 16));"
        case .interrupt: return "T02thread:\(String(thread, radix: 16));"
        case .exited(let s): return "W" + Hex.encode([UInt8(truncatingIfNeeded: s)])
        case .terminated: return "X09"
        }
    }
}

/// What the debugger asked the target to do next.
public enum ResumeAction: Equatable, Sendable {
    case proceed
    /// Run one instruction of this thread.
    case step(thread: Int)
    case kill
    /// The debugger went away: run on without it.
    case detach
}
