import AArch64

/// A guest whose exception vectors point nowhere (or at code that faults at
/// once) takes exception after exception without running an instruction,
/// with virtual time frozen, so no limit on instructions or cycles comes.
/// Real hardware would loop forever; the model stops the run and says why.
/// Each PE watches its own exceptions, so a storm on any vCPU ends the run.
extension Processor {
    /// Exceptions in a row with no instruction retired before the run stops.
    static let stormLimit = 256

    /// Called at every exception entry into the guest, by the hardware or by
    /// the hypervisor's injection; `pc` is where the exception was taken from.
    /// No progress: nothing retired since the last entry (at any vector), or
    /// the exception came from the vector's own first instruction (an UNDEF
    /// there: Unicorn counts the faulting instruction as run).
    public func noteGuestExceptionEntry(vector: UInt64, from pc: UInt64? = nil) {
        let instructions = clock.instructions
        if instructions == storm.instructions || (vector == storm.vector && pc == vector) {
            storm.count &+= 1
            if storm.count >= Processor.stormLimit {
                let from = pc.map { ", from pc 0x\(String($0, radix: 16))" } ?? ""
                requestStop(.error("exception storm: \(storm.count) exceptions in a row at vector 0x\(String(vector, radix: 16)) without the guest running an instruction (vCPU \(index)\(from); VBAR_EL1 points nowhere, or at code that faults)"))
            }
        } else {
            storm.count = 1
        }
        storm.vector = vector
        storm.instructions = instructions
    }
}
