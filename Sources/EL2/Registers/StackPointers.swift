import AArch64
import Unicorn

/// SP_EL0 and SP_EL1 as the architecture shows them. Unicorn (QEMU) keeps
/// the stack pointer in use in its SP register and only the other one in its
/// banked slot, and its raw PSTATE write does not swap them: the model does.
extension Processor {
    /// Which banked SP register PSTATE selects: SP_EL1 at EL1h, else SP_EL0.
    func selectedSP(_ pstate: ProcessorState) -> Register {
        pstate.mode == .el1h ? .spEL1 : .spEL0
    }

    /// While EL2 software runs, the SPs are known registers too, in slots
    /// `KnownRegisters.spSlot`: read from Unicorn once, written when it next
    /// runs (`flushEL1`); forgotten on entry to EL2, since the guest moves them.
    func readBankedSP(_ r: SystemRegister) -> UInt64 {
        guard currentEL == 2 else { return unicornSP(r) }
        let k = KnownRegisters.spSlot(r)
        if known.el1Mask & (1 &<< UInt32(k)) != 0 { return known.el1[k] }
        let v = unicornSP(r)
        known.el1[k] = v
        known.el1Mask |= 1 &<< UInt32(k)
        return v
    }

    func writeBankedSP(_ r: SystemRegister, _ v: UInt64) {
        guard currentEL == 2 else { return setUnicornSP(r, v) }
        known.writeLater(KnownRegisters.spSlot(r), v)
    }

    func unicornSP(_ r: SystemRegister) -> UInt64 {
        let want: Register = r == .SP_EL1 ? .spEL1 : .spEL0
        return want == selectedSP(ProcessorState(raw: livePSTATE)) ? engine.read(.sp) : engine.read(want)
    }

    func setUnicornSP(_ r: SystemRegister, _ v: UInt64) {
        let want: Register = r == .SP_EL1 ? .spEL1 : .spEL0
        if want == selectedSP(ProcessorState(raw: livePSTATE)) { engine.write(.sp, v) } else { engine.write(want, v) }
    }

    /// Unicorn's PSTATE (the guest's): while EL2 software runs it is
    /// `pstateAtEntry`, which every PSTATE write at EL2 keeps current.
    var livePSTATE: UInt64 { currentEL == 2 ? pstateAtEntry : engine.read(.pstate) }

    /// Writes PSTATE, moving the live SP between the banks when the selection
    /// changes, and making QEMU's cached EL follow a change of exception level.
    func setPSTATE(_ new: UInt64) {
        flushEL1()   // a pending SP goes to the bank the old PSTATE selects
        let old = ProcessorState(raw: engine.read(.pstate))
        let from = selectedSP(old), to = selectedSP(ProcessorState(raw: new))
        if from != to {
            engine.write(from, engine.read(.sp))
            engine.write(.sp, engine.read(to))
        }
        engine.write(.pstate, new)
        if currentEL == 2 { pstateAtEntry = new }
        if old.exceptionLevel != ProcessorState(raw: new).exceptionLevel { exceptionLevelChanged(from: old.exceptionLevel) }
    }
}
