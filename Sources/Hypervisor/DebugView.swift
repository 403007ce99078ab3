import AArch64
import EL2

/// What a debugger sees of a vCPU and of the guest's devices, uncounted: the
/// debugger is not part of the model, so nothing here reaches the ledger.
extension VCPU {
    /// Is the guest's state on its PE (running, or idle in an untrapped WFI)?
    /// A blocked or powered-off vCPU's state is in its saved context.
    public var guestStateIsOnPE: Bool { runState == .runnable || runState == .waiting }

    /// Where the scheduler has the vCPU: runnable, waiting, blocked or off.
    public var debugRunState: String { "\(runState)" }

    /// Core register `n` in GDB's order (x0-x30, sp, pc, cpsr) as the guest has it.
    public func debugCoreRegister(_ n: Int) -> UInt64 {
        if guestStateIsOnPE { return cpu.debugRegister(n) }
        switch n {
        case 0...30: return cpu.savedGPR(n, in: &context.x)
        case Processor.debugSP:
            // SPSel chooses SP_ELx over SP_EL0 at EL1.
            return context.pstate & 1 != 0 && (context.pstate >> 2) & 3 == 1 ? context[.SP_EL1] : context.spEL0
        case Processor.debugPC: return context.pc
        case Processor.debugCPSR: return context.pstate & 0xFFFF_FFFF
        default: return 0
        }
    }

    /// A system register as the guest has it: from the PE while the guest's
    /// state is there, else the saved context's EL1 copy or the EL2 hardware's.
    public func debugSystemRegister(_ r: SystemRegister) -> UInt64? {
        if guestStateIsOnPE || r.isEL2 || CPUContext.slot(r) == nil { return cpu.debugSystemRegister(r) }
        return context[r]
    }
}

extension VirtualMachine {
    /// Reads device registers at guest-physical `ipa` for a debugger, as
    /// QEMU's gdbstub does: a real read of each 32-bit word (a FIFO register pops).
    /// Nil if a byte of the range lies in no device.
    public func debugReadDevice(ipa: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= 1 << 16 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var a = ipa
        while out.count < count {
            guard let d = devices.device(at: a) else { return nil }
            let offset = a &- d.base
            let v = d.read(offset: offset & ~3, size: 4)
            for byte in Int(offset & 3)..<4 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: v >> (8 * byte)))
                a &+= 1
            }
        }
        return out
    }
}
