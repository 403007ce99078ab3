import AArch64

/// The VM's stage-2 configuration: VTTBR_EL2 (table base and VMID) and VTCR_EL2.
public struct Stage2: Sendable {
    public var vttbr: UInt64 = 0
    public var vtcr: UInt64 = 0
    public var vmid: UInt16 = 1
    public init() {}
}
