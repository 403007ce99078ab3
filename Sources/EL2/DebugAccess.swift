import AArch64
import Unicorn

/// A debugger's view of the guest (the GDB stub): its EL1 registers and
/// memory, read and written without counting (a debugger is not an EL2
/// operation the ledger prices), and a hook before every guest instruction.
extension Processor {
    /// Debug register numbers in GDB's AArch64 core order: x0...x30, sp, pc, cpsr.
    public static let debugSP = 31, debugPC = 32, debugCPSR = 33

    public func debugRegister(_ n: Int) -> UInt64 {
        switch n {
        case 0...30: return engine.read(.x(n))
        case Self.debugSP: return engine.read(.sp)
        case Self.debugPC: return engine.read(.pc)
        case Self.debugCPSR: return engine.read(.pstate) & 0xFFFF_FFFF
        default: return 0
        }
    }

    /// Writes a register; cpsr keeps the mode and EL (a debugger cannot move the guest to EL2).
    @discardableResult
    public func setDebugRegister(_ n: Int, _ v: UInt64) -> Bool {
        switch n {
        case 0...30: engine.write(.x(n), v); gprsKnown = false
        case Self.debugSP: engine.write(.sp, v)
        case Self.debugPC: engine.write(.pc, v)
        case Self.debugCPSR:
            let old = engine.read(.pstate)
            engine.write(.pstate, (v & 0xF000_03C0) | (old & 0x1F))
        default: return false
        }
        return true
    }

    /// Calls `body` with the PC before each guest instruction (only while a
    /// debugger is attached: it makes every instruction a callback). Install
    /// it before the first run: code translated earlier would not call it.
    public func onEachInstruction(_ body: @escaping (UInt64) -> Void) throws {
        fastForwardsPollingLoops = false   // the debugger sees every instruction
        try engine.onCode(begin: 1, end: 0) { address, _ in body(address) }
    }
}
