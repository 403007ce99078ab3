import AArch64

/// The GICv3 virtual CPU interface: the list registers the hypervisor fills
/// (ICH_LR<n>_EL2) and the guest's ICC_* view served from them without an
/// exit, as GICv3 hardware does (fields: AArch64's `ListRegister`, `ICH_HCR`, `ICH_VMCR`).
public final class VirtualCPUInterface {
    public static let listRegisterCount = 4
    public var lr = [UInt64](repeating: 0, count: listRegisterCount)
    public var hcr: UInt64 = 0      // ICH_HCR_EL2: En[0] UIE[1] NPIE[3] EOIcount[31:27]
    public var vmcr: UInt64 = 0     // ICH_VMCR_EL2: VENG1[1] VBPR1[20:18] VPMR[31:24]
    public var ctlr: UInt64 = 0

    public init() {}

    /// ICH_VTR_EL2: ListRegs = count-1, PRIbits = PREbits = 5-1, IDbits = 16-bit, SEIS=0, A3V=1.
    /// The priority bits the interface implements (PRIbits + 1 = 5, the top ones).
    static let implementedPriority: UInt64 = 0xF8
    public var vtr: UInt64 { UInt64(VirtualCPUInterface.listRegisterCount - 1) | 4 << ICH_VTR.PRIbitsShift | 4 << ICH_VTR.PREbitsShift | ICH_VTR.A3V }

    /// ICH_ELRSR_EL2: bit n set when LR n holds no interrupt.
    public var elrsr: UInt64 {
        var v: UInt64 = 0
        for (i, l) in lr.enumerated() where l & ListRegister.State == 0 { v |= 1 << UInt64(i) }
        return v
    }

    /// ICH_EISR_EL2: bit n set when LR n is invalid after an EOI it asked maintenance for (HW = 0, EOI = 1).
    public var eisr: UInt64 {
        var v: UInt64 = 0
        for (i, l) in lr.enumerated() where l & ListRegister.State == 0 && l & ListRegister.HW == 0 && l & ListRegister.EOI != 0 {
            v |= 1 << UInt64(i)
        }
        return v
    }

    /// ICH_MISR_EL2: U[1] (underflow: at most one valid LR with UIE), NP[3]
    /// (no pending LR with NPIE); EOI[0] when an LR with EOI was deactivated.
    public var misr: UInt64 {
        var v: UInt64 = 0
        var valid = 0
        for l in lr where l & ListRegister.State != 0 { valid += 1 }
        if hcr & ICH_HCR.UIE != 0 && valid <= 1 { v |= ICH_MISR.U }
        if hcr & ICH_HCR.NPIE != 0 && !lr.contains(where: { $0 & ListRegister.State == ListRegister.pendingBit }) { v |= ICH_MISR.NP }
        if eoiMaintenance { v |= ICH_MISR.EOI }
        return v
    }
    var eoiMaintenance = false
    /// The hardware link of HW=1 list registers: deactivating the virtual
    /// interrupt deactivates the physical one (pINTID).
    var onDeactivatePhysical: ((Int) -> Void)?

    /// Deactivates LR `i`; with HW=1 also the physical interrupt it forwards.
    func deactivate(_ i: Int) {
        let l = lr[i]
        lr[i] &= ~ListRegister.activeBit
        if l & ListRegister.HW != 0 {
            onDeactivatePhysical?(Int(ListRegister.pINTID(l)))
        } else if l & ListRegister.EOI != 0 {
            eoiMaintenance = true
        }
    }

    /// Does the interface signal a virtual IRQ to the PE (enabled, group 1 on,
    /// a pending LR with priority above the priority mask and the running priority)?
    public var irqPending: Bool { highestPending != nil }

    var highestPending: Int? {
        guard hcr & ICH_HCR.En != 0, vmcr & ICH_VMCR.VENG1 != 0 else { return nil }
        let pmr = vmcr >> ICH_VMCR.VPMRShift & ICH_VMCR.VPMRMask
        let running = runningPriority
        var best: Int?
        for (i, l) in lr.enumerated() where l & ListRegister.State == ListRegister.pendingBit {
            let prio = ListRegister.priority(l)
            guard prio < pmr, prio < running else { continue }
            // Equal priorities: the lowest INTID first (as GIC distributors choose).
            if let b = best {
                let bp = ListRegister.priority(lr[b])
                if prio < bp || prio == bp && ListRegister.vINTID(l) < ListRegister.vINTID(lr[b]) { best = i }
            } else {
                best = i
            }
        }
        return best
    }

    var runningPriority: UInt64 {
        var running: UInt64 = 0x100
        for l in lr where l & ListRegister.activeBit != 0 { running = min(running, ListRegister.priority(l)) }
        return running
    }

    func read(_ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICH_HCR_EL2: return hcr
        case .ICH_VTR_EL2: return vtr
        case .ICH_MISR_EL2: return misr
        case .ICH_ELRSR_EL2: return elrsr
        case .ICH_EISR_EL2: return eisr
        case .ICH_VMCR_EL2: return vmcr
        default:
            if let n = listRegisterIndex(r) { return lr[n] }
            return guestRead(r)
        }
    }

    func write(_ r: SystemRegister, _ v: UInt64) {
        switch r {
        case .ICH_HCR_EL2: hcr = v
        case .ICH_VMCR_EL2: vmcr = v
        default:
            if let n = listRegisterIndex(r) { lr[n] = v; eoiMaintenance = false } else { guestWrite(r, v) }
        }
    }

    func listRegisterIndex(_ r: SystemRegister) -> Int? {
        guard r.op0 == 3, r.op1 == 4, r.crn == 12, r.crm == 12 || r.crm == 13 else { return nil }
        let n = Int(r.crm - 12) * 8 + Int(r.op2)
        return n < lr.count ? n : nil
    }

    // MARK: The guest's ICC_* view (served from the list registers)

    /// ICC_IAR1_EL1: acknowledge the highest-priority pending interrupt (1023 if none).
    func acknowledge() -> UInt64 {
        guard let i = highestPending else { return 1023 }
        lr[i] = lr[i] & ~ListRegister.State | ListRegister.activeBit
        return ListRegister.vINTID(lr[i])
    }

    /// ICC_EOIR1_EL1 (EOImode 0: drop priority and deactivate).
    func endOfInterrupt(_ intid: UInt64) {
        if let i = lr.firstIndex(where: { ListRegister.vINTID($0) == intid & 0xFF_FFFF && $0 & ListRegister.activeBit != 0 }) {
            // EOImode 1 (ICC_CTLR_EL1.EOImode): EOIR only drops priority; ICC_DIR deactivates.
            if ctlr & 2 == 0 { deactivate(i) }
        } else if intid & 0xFF_FFFF < 1020 {
            // EOIcount[31:27], five bits that wrap: an EOI with no matching LR (special INTIDs are ignored).
            hcr = hcr & ~(ICH_HCR.EOIcountMask << ICH_HCR.EOIcountShift) | ((hcr >> ICH_HCR.EOIcountShift &+ 1) & ICH_HCR.EOIcountMask) << ICH_HCR.EOIcountShift
        }
    }

    func guestRead(_ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICC_IAR1_EL1: return acknowledge()
        case .ICC_HPPIR1_EL1: return highestPending.map { ListRegister.vINTID(lr[$0]) } ?? 1023
        case .ICC_PMR_EL1: return vmcr >> ICH_VMCR.VPMRShift & ICH_VMCR.VPMRMask
        case .ICC_BPR1_EL1: return vmcr >> ICH_VMCR.VBPR1Shift & ICH_VMCR.VBPR1Mask
        case .ICC_IGRPEN1_EL1: return vmcr >> ICH_VMCR.VENG1Shift & 1
        case .ICC_CTLR_EL1: return ctlr | (4 << 8) | (1 << 15)   // PRIbits=4 (5 bits), A3V (bit 15; 14 is SEIS)
        case .ICC_SRE_EL1: return 0x7
        default: return 0
        }
    }

    func guestWrite(_ r: SystemRegister, _ v: UInt64) {
        switch r {
        case .ICC_EOIR1_EL1: endOfInterrupt(v)
        case .ICC_DIR_EL1:
            if let i = lr.firstIndex(where: { ListRegister.vINTID($0) == v & 0xFF_FFFF && $0 & ListRegister.activeBit != 0 }) { deactivate(i) }
        case .ICC_PMR_EL1:   // 5 priority bits implemented (ICH_VTR_EL2.PRIbits): the low 3 are RAZ/WI
            vmcr = vmcr & ~(ICH_VMCR.VPMRMask << ICH_VMCR.VPMRShift) | (v & VirtualCPUInterface.implementedPriority) << ICH_VMCR.VPMRShift
        case .ICC_BPR1_EL1: vmcr = vmcr & ~(ICH_VMCR.VBPR1Mask << ICH_VMCR.VBPR1Shift) | (v & ICH_VMCR.VBPR1Mask) << ICH_VMCR.VBPR1Shift
        case .ICC_IGRPEN1_EL1: vmcr = vmcr & ~ICH_VMCR.VENG1 | (v & 1) << ICH_VMCR.VENG1Shift
        case .ICC_CTLR_EL1: ctlr = v & 0x2   // EOImode
        default: break
        }
    }
}
