/// The state of the emulated GICv3 distributor and redistributors that the
/// guest programs through MMIO (GICv3 architecture spec, IHI 0069): per-vCPU
/// enable and priority of SGIs/PPIs (redistributor SGI frame), SPI enables
/// and priorities (distributor), and the enable bits of GICD_CTLR. The list
/// registers, not this state, deliver interrupts; queueing consults it.
/// Single security state (GICD_CTLR.DS = 1), as KVM's vGIC.
struct GICState {
    /// GICD_CTLR: EnableGrp0[0] EnableGrp1[1] ARE[4] (ARE is RAO/WI here).
    /// The enables reset to an UNKNOWN value (GICv3 spec): here Group 1 starts
    /// enabled, like the private interrupts below, for guests that never program it.
    var distributorControl: UInt32 = 0x12
    static let enableGroup0: UInt32 = 1 << 0, enableGroup1: UInt32 = 1 << 1
    /// Number of SPIs (INTID 32...32+spis-1).
    let spis = 64
    var spiEnabled: [Bool]
    var spiPriority: [UInt8]
    /// The vCPU each SPI goes to (nil: none; GICD_IROUTER/ITARGETSR): vCPU 0 at reset.
    var spiRoute: [Int?]
    /// Per vCPU: bit n = SGI/PPI n enabled (GICR_ISENABLER0).
    var privateEnabled: [UInt32]
    var privatePriority: [[UInt8]]
    var privateGroup: [UInt32]
    /// GICR_WAKER.ProcessorSleep per vCPU.
    var asleep: [Bool]
    /// The LPIs and the redistributors' LPI registers (LPI.swift).
    var lpi: LPIState

    init(cpus: Int) {
        spiEnabled = Array(repeating: false, count: spis)
        spiPriority = Array(repeating: 0, count: spis)
        spiRoute = Array(repeating: 0, count: spis)
        // GICR_ISENABLER0's reset value is UNKNOWN (GICv3 spec): here every SGI
        // and PPI starts enabled, so a guest that never programs its
        // redistributor still gets its timer and IPIs (as KVM enables SGIs).
        privateEnabled = Array(repeating: 0xFFFF_FFFF, count: cpus)
        privatePriority = Array(repeating: Array(repeating: 0, count: 32), count: cpus)
        // Group 1, as KVM's vGIC resets every interrupt of a GICv3 guest.
        privateGroup = Array(repeating: 0xFFFF_FFFF, count: cpus)
        asleep = Array(repeating: true, count: cpus)
        lpi = LPIState(cpus: cpus)
    }

    /// A GICv2 SGI is queued with its source CPU in bits [12:10] (GICv2.swift): the GIC's INTID without it.
    static func gicINTID(_ intid: Int) -> Int { intid < LPIState.firstINTID ? intid & 0x3FF : intid }

    func isEnabled(_ intid: Int, cpu: Int) -> Bool {
        let intid = GICState.gicINTID(intid)
        if intid < 32 { return cpu < privateEnabled.count && privateEnabled[cpu] & (1 << UInt32(intid)) != 0 }
        if intid >= LPIState.firstINTID { return lpi.lpis[intid]?.enabled == true }
        let n = intid - 32
        return n < spis && spiEnabled[n]
    }

    /// Group 1 (GICR_IGROUPR0; SPIs are all Group 1 here)?
    func isGroup1(_ intid: Int, cpu: Int) -> Bool {
        let intid = GICState.gicINTID(intid)
        return intid >= 32 || cpu < privateGroup.count && privateGroup[cpu] & (1 << UInt32(intid)) != 0
    }

    /// May a pending interrupt go to the vCPU's list registers (KVM's
    /// vgic_target_oracle)? It must be enabled, and its group enabled in
    /// GICD_CTLR. The virtual CPU interface here signals Group 1 (IRQ) only,
    /// so a Group 0 interrupt stays pending in the distributor.
    func canForward(_ intid: Int, cpu: Int) -> Bool {
        isEnabled(intid, cpu: cpu) && isGroup1(intid, cpu: cpu) && distributorControl & GICState.enableGroup1 != 0
    }

    /// The priority a queued interrupt gets in its list register.
    func priority(_ intid: Int, cpu: Int) -> UInt64 {
        let intid = GICState.gicINTID(intid)
        if intid < 32 { return cpu < privatePriority.count ? UInt64(privatePriority[cpu][intid]) : 0 }
        if intid >= LPIState.firstINTID { return UInt64(lpi.lpis[intid]?.priority ?? 0) }
        let n = intid - 32
        return n < spis ? UInt64(spiPriority[n]) : 0
    }
}
