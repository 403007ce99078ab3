import AArch64
import Unicorn

/// Self-hosted debug state (Arm ARM D2): MDSCR_EL1, the OS lock and OS
/// double lock, and the breakpoint and watchpoint registers (DBGBVR<n>_EL1,
/// DBGBCR<n>_EL1, DBGWVR<n>_EL1, DBGWCR<n>_EL1: op0 2, op1 0, CRn 0, op2
/// 4...7). All are held by the model and never reach Unicorn: QEMU arms real
/// breakpoints from them, which ends in a NULL jump in Unicorn 2.0.1's
/// generated code, and its own software step would come back as an UNDEF
/// the model cannot tell from one. The model raises the debug events itself
/// (DebugEvents.swift).
struct SelfHostedDebug {
    /// DBGBVR/BCR/WVR/WCR<n>_EL1, held here, not in Unicorn.
    var registers = [UInt64](repeating: 0, count: 64)
    /// MDSCR_EL1 as the guest wrote it (Unicorn's stays 0).
    var mdscr: UInt64 = 0
    /// OSLSR_EL1.OSLK: set on a cold reset; OSLAR_EL1 writes it.
    var osLock = true
    /// OSDLR_EL1.DLK.
    var doubleLock = false
    /// PSTATE.SS, held here: QEMU clears its own copy on ERET while its MDSCR_EL1.SS is 0.
    var pstateSS = false
    /// An instruction completed in the active-not-pending step state (ESR.ISV of the step exception).
    var stepped = false
    /// The code hook on each armed breakpoint address.
    var breakpointHooks: [UInt64: Engine.Handle] = [:]
    /// The code hook on every instruction while a watchpoint is armed or software step is on.
    var everyInstructionHook: Engine.Handle?
    /// The translations must be flushed before Unicorn runs on (`run`).
    var flushPending = false

    static let ss: UInt64 = 1 << 0, kde: UInt64 = 1 << 13, mde: UInt64 = 1 << 15
    /// SPSR_ELx.SS / PSTATE.SS.
    static let spsrSS: UInt64 = 1 << 21
}

extension Processor {
    /// The slot of a breakpoint/watchpoint register in `debug.registers`, if `r` is one.
    static func debugRegisterSlot(_ r: SystemRegister) -> Int? {
        guard r.op0 == 2, r.op1 == 0, r.crn == 0, r.op2 >= 4 else { return nil }
        return Int(r.op2 - 4) * 16 + Int(r.crm)
    }

    func debugBVR(_ n: Int) -> UInt64 { debug.registers[n] }
    func debugBCR(_ n: Int) -> UInt64 { debug.registers[16 + n] }
    func debugWVR(_ n: Int) -> UInt64 { debug.registers[32 + n] }
    func debugWCR(_ n: Int) -> UInt64 { debug.registers[48 + n] }

    /// An EL1 read of a debug register the model holds.
    func debugStateRead(_ r: SystemRegister) -> UInt64? {
        if let slot = Processor.debugRegisterSlot(r) { return debug.registers[slot] }
        switch r {
        case .MDSCR_EL1: return debug.mdscr
        case .OSLSR_EL1: return 0b1000 | (debug.osLock ? 0b10 : 0)   // OSLM = 0b10: the OS lock is implemented
        case .OSDLR_EL1: return debug.doubleLock ? 1 : 0
        default: return nil
        }
    }

    /// An EL1 write of a debug register the model holds: the debug events
    /// armed follow at once.
    func debugStateWrite(_ r: SystemRegister, _ v: UInt64) -> Bool {
        if let slot = Processor.debugRegisterSlot(r) {
            debug.registers[slot] = v
        } else {
            switch r {
            case .MDSCR_EL1: debug.mdscr = v & 0xFFFF_FFFF; forgetEL1(.MDSCR_EL1)
            case .OSLAR_EL1: debug.osLock = v & 1 != 0
            case .OSDLR_EL1: debug.doubleLock = v & 1 != 0
            default: return false
            }
        }
        armDebugEvents()
        return true
    }
}
