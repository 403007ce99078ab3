import AArch64

/// A guest whose exception vectors point nowhere (or at code that faults at
/// once) takes exception after exception without running an instruction.
/// Real hardware would loop forever; the model stops the run and says why.
extension Processor {
    /// Exceptions in a row, at one vector, with no instruction retired, before the run stops.
    static let stormLimit = 256

    /// Called at every exception entry into the guest, by the hardware or by
    /// the hypervisor's injection; `pc` is where the exception was taken from.
    /// No progress: nothing retired since the last entry at this vector, or
    /// the exception came from the vector's own first instruction (an UNDEF
    /// there: Unicorn counts the faulting instruction as run).
    public func noteGuestExceptionEntry(vector: UInt64, from pc: UInt64? = nil) {
        if vector == storm.vector && (clock.instructions == storm.instructions || pc == vector) {
            storm.count &+= 1
            storm.instructions = clock.instructions
            if storm.count >= Processor.stormLimit {
                requestStop(.error("exception storm: \(storm.count) exceptions in a row at vector 0x\(String(vector, radix: 16)) without the guest running an instruction (VBAR_EL1 points nowhere, or at code that faults)"))
            }
        } else {
            storm = (vector, clock.instructions, 1)
        }
    }
}
