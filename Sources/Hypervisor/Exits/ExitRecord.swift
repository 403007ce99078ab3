import AArch64
import CostModel

/// One exit: why it happened, what the hypervisor did (operation counts by
/// phase) and what that cost under the profile.
public struct ExitRecord: Sendable {
    public var sequence: Int
    public var vcpu: Int
    /// Virtual time (cycles) when the exit was taken.
    public var time: UInt64
    public var pc: UInt64
    public var esr: ExceptionSyndrome?
    /// The exit kind: the EC name ("HVC64", "SYS64", "DABT_LOW", "WFx") or "IRQ".
    public var kind: String
    /// What the handler did, e.g. "HVC PSCI_VERSION" or "SYS64 MSR SCTLR_EL1, x3".
    public var detail: String
    public var counts: OperationCounts
    /// Modelled cycles per phase (Phase.rawValue order).
    public var phaseCycles: [UInt64]
    /// For stage-2 aborts (DABT_LOW/IABT_LOW): the faulting IPA (HPFAR_EL2 and FAR_EL2).
    public var ipa: UInt64?
    /// Where the exit's ERET returned the guest to (nil when the run stopped in the exit).
    public var returnPC: UInt64?
    public var cycles: UInt64 { phaseCycles.reduce(0, &+) }
    public init(sequence: Int, vcpu: Int, time: UInt64, pc: UInt64, esr: ExceptionSyndrome?, kind: String, detail: String,
                counts: OperationCounts, phaseCycles: [UInt64], ipa: UInt64? = nil, returnPC: UInt64? = nil) {
        (self.sequence, self.vcpu, self.time, self.pc, self.esr, self.kind, self.detail) = (sequence, vcpu, time, pc, esr, kind, detail)
        (self.counts, self.phaseCycles, self.ipa, self.returnPC) = (counts, phaseCycles, ipa, returnPC)
    }

    /// The counts of a record made without them (`EventSink.copiesCounts`): one shared table.
    static let noCounts = OperationCounts()
}
