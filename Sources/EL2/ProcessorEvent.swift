import AArch64

/// What the hardware model observed, for tracing. Carries no EL2 state.
public enum ProcessorEvent {
    /// PSTATE.DAIF changed by the guest (MSR DAIFSet/DAIFClr/DAIF, ERET, exception entry).
    case daif(pc: UInt64, old: InterruptMask, new: InterruptMask, cause: String)
    /// An exception was taken to EL1 in the guest (kind: "sync", "irq", ...).
    case guestException(pc: UInt64, vector: UInt64, kind: String, esr: ExceptionSyndrome?)
    /// A virtual interrupt became pending or was delivered.
    case virtualInterrupt(intid: Int, pending: Bool)
    /// The vCPU idled in WFI/WFE without a trap, for `cycles` of virtual time.
    case idle(pc: UInt64, cycles: UInt64, woken: String)
    /// The guest's own EL2 returned to its guest (ERET) from an exit (GuestEL2ExitSpan.swift).
    case guestEL2Return(GuestEL2Exit)
}
