import AArch64

/// The EL2 software's side of the machine: what the hardware calls when it
/// takes an exception to EL2 (at VBAR_EL2 + the vector offset), and the
/// host services that are not exceptions (semihosting, as a debugger would).
/// A class, not a protocol, as `OperationCounter`: called with no retain.
open class ExceptionVectors {
    public init() {}
    /// Synchronous exception from a lower EL (VBAR_EL2 + 0x400). ESR_EL2,
    /// ELR_EL2, SPSR_EL2, FAR_EL2, HPFAR_EL2 are set; the handler ends with `eret()`.
    open func synchronousFromLowerEL(_ cpu: Processor) {}
    /// Physical IRQ from a lower EL (VBAR_EL2 + 0x480) with HCR_EL2.IMO set.
    open func irqFromLowerEL(_ cpu: Processor) {}
    /// A semihosting call (HLT #0xF000): the debugger's service, no EL2 entry.
    open func semihostingCall(_ cpu: Processor) {}
}

extension Processor {
    /// The software's vectors and counter through a guaranteed reference (no retain per call).
    @inline(__always)
    func withSoftware(_ body: (ExceptionVectors) -> Void) {
        softwareRef?._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    func willPerform(_ op: HardwareOperation) {
        counterRef?._withUnsafeGuaranteedRef { $0.willPerform(op) }
    }
}
