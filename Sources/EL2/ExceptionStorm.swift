import AArch64

/// A guest whose exception vectors point nowhere (or at code that faults at
/// once) takes exception after exception without running an instruction.
/// Real hardware would loop forever; the model stops the run and says why.
extension Processor {
    /// Exceptions in a row, at one vector, with no instruction retired, before the run stops.
    static let stormLimit = 256

    /// Called at every exception entry into the guest, by the hardware or by
    /// the hypervisor's injection.
    public func noteGuestExceptionEntry(vector: UInt64) {
        if vector == storm.vector && clock.instructions == storm.instructions {
            storm.count &+= 1
            if storm.count >= Processor.stormLimit {
                requestStop(.error("exception storm: \(storm.count) exceptions in a row at vector 0x\(String(vector, radix: 16)) without the guest running an instruction (VBAR_EL1 points nowhere, or at code that faults)"))
            }
        } else {
            storm = (vector, clock.instructions, 1)
        }
    }
}
