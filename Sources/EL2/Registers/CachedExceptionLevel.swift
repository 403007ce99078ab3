import AArch64
import Unicorn

/// QEMU translates guest code for the exception level in its cached flags
/// (`env->hflags`), not for PSTATE.EL: after the model itself moves the
/// guest between EL0 and EL1 (an exception entry from EL0, an ERET to EL0),
/// the cache must be rebuilt, or EL1 code runs with EL0's privileges (its
/// first MRS of an EL1 register is UNDEFINED) and EL0 code with EL1's.
extension Processor {
    /// Can the model move a guest between EL0 and EL1 (Unicorn 2.1 and newer)?
    public static var canChangeGuestExceptionLevel: Bool { Engine.canRebuildCachedFlags }

    func exceptionLevelChanged(from old: Int) {
        if engine.rebuildCachedFlags() { return }
        requestStop(.error("the guest moved from EL\(old) to EL\(ProcessorState(raw: engine.read(.pstate)).exceptionLevel) through the model, which cannot rebuild QEMU's cached exception level after a PSTATE write: \(Engine.limitsOf2_0)"))
    }
}
