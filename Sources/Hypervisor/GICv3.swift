/// The state of the emulated GICv3 distributor and redistributors that the
/// guest programs through MMIO (GICv3 architecture spec, IHI 0069): per-vCPU
/// enable and priority of SGIs/PPIs (redistributor SGI frame), SPI enables
/// and priorities (distributor), and the enable bits of GICD_CTLR. The list
/// registers, not this state, deliver interrupts; queueing consults it.
struct GICState {
    /// GICD_CTLR: EnableGrp0[0] EnableGrp1NS[1] ARE_NS[4] (ARE is RAO/WI here).
    var distributorControl: UInt32 = 0x10
    /// Number of SPIs (INTID 32...32+spis-1).
    let spis = 64
    var spiEnabled: [Bool]
    var spiPriority: [UInt8]
    /// Per vCPU: bit n = SGI/PPI n enabled (GICR_ISENABLER0).
    var privateEnabled: [UInt32]
    var privatePriority: [[UInt8]]
    var privateGroup: [UInt32]
    /// GICR_WAKER.ProcessorSleep per vCPU.
    var asleep: [Bool]

    init(cpus: Int) {
        spiEnabled = Array(repeating: false, count: spis)
        spiPriority = Array(repeating: 0, count: spis)
        // GICR_ISENABLER0's reset value is UNKNOWN (GICv3 spec): here every SGI
        // and PPI starts enabled, so a guest that never programs its
        // redistributor still gets its timer and IPIs (as KVM enables SGIs).
        privateEnabled = Array(repeating: 0xFFFF_FFFF, count: cpus)
        privatePriority = Array(repeating: Array(repeating: 0, count: 32), count: cpus)
        privateGroup = Array(repeating: 0, count: cpus)
        asleep = Array(repeating: true, count: cpus)
    }

    func isEnabled(_ intid: Int, cpu: Int) -> Bool {
        if intid < 32 { return cpu < privateEnabled.count && privateEnabled[cpu] & (1 << UInt32(intid)) != 0 }
        let n = intid - 32
        return n < spis && spiEnabled[n]
    }

    /// The priority a queued interrupt gets in its list register.
    func priority(_ intid: Int, cpu: Int) -> UInt64 {
        if intid < 32 { return cpu < privatePriority.count ? UInt64(privatePriority[cpu][intid]) : 0 }
        let n = intid - 32
        return n < spis ? UInt64(spiPriority[n]) : 0
    }
}
