/// LPIs at this PE's redistributor while the guest owns EL2: the ITS makes
/// one pending here (the redistributor must have GICR_CTLR.EnableLPIs set;
/// the software side checks), the guest's CPU interface signals it like an
/// SGI or PPI, by its priority and enable from the LPI configuration table
/// (`GuestOwnedEL2.distributor`), and acknowledging it ends its pending
/// state: an LPI has no active state (GICv3 spec 5.1).
extension Processor {
    public func setPhysicalLPI(_ intid: Int, pending: Bool) {
        if pending { physical.lpis.insert(intid) } else { physical.lpis.remove(intid) }
        updateVirtualInterruptLines()
    }

    public func isPhysicalLPIPending(_ intid: Int) -> Bool { physical.lpis.contains(intid) }

    /// GICR_CTLR.EnableLPIs cleared: the LPIs pending here are dropped.
    public func clearPhysicalLPIs() {
        physical.lpis.removeAll()
        updateVirtualInterruptLines()
    }
}
