/// SPIs at this PE while the guest owns EL2: the distributor routes a
/// device's level-sensitive line here (the software side says which lines are
/// high and when one will rise by itself, an RTC match); the guest's CPU
/// interface signals it by its enable and priority (`GuestOwnedEL2.distributor`)
/// like an SGI or PPI. Acknowledged, it is active (and still pending while
/// its line stays high) until the guest deactivates it (GICv3 spec 4.1).
extension Processor {
    /// SPI `intid`'s line: high now, or rising at virtual time `rise` (cycles).
    public func setPhysicalSPI(_ intid: Int, high: Bool, rise: UInt64?) {
        if high { physical.spis.insert(intid) } else { physical.spis.remove(intid) }
        let r = high ? nil : rise
        if physical.spiRise[intid] != r { physical.spiRise[intid] = r }
        updateVirtualInterruptLines()
    }

    public func isPhysicalSPIActive(_ intid: Int) -> Bool { physical.activeSPIs.contains(intid) }

    /// GICD_ISACTIVER/ICACTIVER for an SPI routed here.
    public func setPhysicalSPIActive(_ intid: Int, _ active: Bool) {
        if active { physical.activeSPIs.insert(intid) } else { physical.activeSPIs.remove(intid) }
        updateVirtualInterruptLines()
    }

    /// The SPIs the CPU interface may signal: high, not active.
    var signallableSPIs: Set<Int> { physical.spis.subtracting(physical.activeSPIs) }

    /// The next SPI line that rises by itself, if its distributor enable lets it signal.
    func nextPhysicalSPIRise(_ g: GuestOwnedEL2) -> (time: UInt64, what: String)? {
        var best: (time: UInt64, what: String)?
        for (intid, t) in physical.spiRise.sorted(by: { $0.key < $1.key })
            where g.distributor?(intid).enabled == true && (best == nil || t < best!.time) {
            best = (t, "SPI \(intid)")
        }
        return best
    }
}
