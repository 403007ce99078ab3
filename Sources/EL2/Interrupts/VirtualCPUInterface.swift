import AArch64

/// The GICv3 virtual CPU interface: the list registers the hypervisor fills
/// (ICH_LR<n>_EL2) and the guest's ICC_* view served from them without an
/// exit, as GICv3 hardware does. LR: vINTID[31:0] pINTID[44:32]
/// Priority[55:48] Group[60] HW[61] State[63:62] (01 pending, 10 active).
public final class VirtualCPUInterface {
    public static let listRegisterCount = 4
    public var lr = [UInt64](repeating: 0, count: listRegisterCount)
    public var hcr: UInt64 = 0      // ICH_HCR_EL2: En[0] UIE[1] NPIE[3] EOIcount[31:27]
    public var vmcr: UInt64 = 0     // ICH_VMCR_EL2: VENG1[1] VBPR1[20:18] VPMR[31:24]
    public var ctlr: UInt64 = 0

    static let statePending: UInt64 = 1 << 62
    static let stateActive: UInt64 = 2 << 62
    static let stateMask: UInt64 = 3 << 62

    public init() {}

    /// ICH_VTR_EL2: ListRegs = count-1, PRIbits = 5-1, IDbits = 16-bit, SEIS=0, A3V=1.
    public var vtr: UInt64 { UInt64(VirtualCPUInterface.listRegisterCount - 1) | (4 << 29) | (4 << 26) | (1 << 21) }

    /// ICH_ELRSR_EL2: bit n set when LR n holds no interrupt.
    public var elrsr: UInt64 {
        var v: UInt64 = 0
        for (i, l) in lr.enumerated() where l & VirtualCPUInterface.stateMask == 0 { v |= 1 << UInt64(i) }
        return v
    }

    /// ICH_MISR_EL2: U[1] (underflow: at most one valid LR with UIE), NP[3]
    /// (no pending LR with NPIE); EOI[0] when an LR with EOI was deactivated.
    public var misr: UInt64 {
        var v: UInt64 = 0
        var valid = 0
        for l in lr where l & VirtualCPUInterface.stateMask != 0 { valid += 1 }
        if hcr & 2 != 0 && valid <= 1 { v |= 2 }
        if hcr & 8 != 0 && !lr.contains(where: { $0 & VirtualCPUInterface.stateMask == VirtualCPUInterface.statePending }) { v |= 8 }
        if eoiMaintenance { v |= 1 }
        return v
    }
    var eoiMaintenance = false
    /// The hardware link of HW=1 list registers: deactivating the virtual
    /// interrupt deactivates the physical one (pINTID).
    var onDeactivatePhysical: ((Int) -> Void)?

    /// Deactivates LR `i`; with HW=1 also the physical interrupt it forwards.
    func deactivate(_ i: Int) {
        let l = lr[i]
        lr[i] &= ~VirtualCPUInterface.stateActive
        if l & (1 << 61) != 0 {
            onDeactivatePhysical?(Int((l >> 32) & 0x1FFF))
        } else if l & (1 << 41) != 0 {
            eoiMaintenance = true
        }
    }

    /// Does the interface signal a virtual IRQ to the PE (enabled, group 1 on,
    /// a pending LR with priority above the priority mask and the running priority)?
    public var irqPending: Bool { highestPending != nil }

    var highestPending: Int? {
        guard hcr & 1 != 0, vmcr & 2 != 0 else { return nil }
        let pmr = (vmcr >> 24) & 0xFF
        let running = runningPriority
        var best: Int?
        for (i, l) in lr.enumerated() where l & VirtualCPUInterface.stateMask == VirtualCPUInterface.statePending {
            let prio = (l >> 48) & 0xFF
            guard prio < pmr, prio < running else { continue }
            // Equal priorities: the lowest INTID first (as GIC distributors choose).
            if let b = best {
                let bp = (lr[b] >> 48) & 0xFF
                if prio < bp || prio == bp && l & 0xFFFF_FFFF < lr[b] & 0xFFFF_FFFF { best = i }
            } else {
                best = i
            }
        }
        return best
    }

    var runningPriority: UInt64 {
        var running: UInt64 = 0x100
        for l in lr where l & VirtualCPUInterface.stateActive != 0 { running = min(running, (l >> 48) & 0xFF) }
        return running
    }

    func read(_ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICH_HCR_EL2: return hcr
        case .ICH_VTR_EL2: return vtr
        case .ICH_MISR_EL2: return misr
        case .ICH_ELRSR_EL2: return elrsr
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
        lr[i] = lr[i] & ~VirtualCPUInterface.stateMask | VirtualCPUInterface.stateActive
        return lr[i] & 0xFFFF_FFFF
    }

    /// ICC_EOIR1_EL1 (EOImode 0: drop priority and deactivate).
    func endOfInterrupt(_ intid: UInt64) {
        if let i = lr.firstIndex(where: { $0 & 0xFFFF_FFFF == intid & 0xFF_FFFF && $0 & VirtualCPUInterface.stateActive != 0 }) {
            // EOImode 1 (ICC_CTLR_EL1.EOImode): EOIR only drops priority; ICC_DIR deactivates.
            if ctlr & 2 == 0 { deactivate(i) }
        } else if intid & 0xFF_FFFF < 1020 {
            // EOIcount[31:27], five bits that wrap: an EOI with no matching LR (special INTIDs are ignored).
            hcr = hcr & ~(0x1F << 27) | ((hcr >> 27 &+ 1) & 0x1F) << 27
        }
    }

    func guestRead(_ r: SystemRegister) -> UInt64 {
        switch r {
        case .ICC_IAR1_EL1: return acknowledge()
        case .ICC_HPPIR1_EL1: return highestPending.map { lr[$0] & 0xFFFF_FFFF } ?? 1023
        case .ICC_PMR_EL1: return (vmcr >> 24) & 0xFF
        case .ICC_BPR1_EL1: return (vmcr >> 18) & 7
        case .ICC_IGRPEN1_EL1: return (vmcr >> 1) & 1
        case .ICC_CTLR_EL1: return ctlr | (4 << 8) | (1 << 14)   // PRIbits=4 (5 bits), A3V
        case .ICC_SRE_EL1: return 0x7
        default: return 0
        }
    }

    func guestWrite(_ r: SystemRegister, _ v: UInt64) {
        switch r {
        case .ICC_EOIR1_EL1: endOfInterrupt(v)
        case .ICC_DIR_EL1:
            if let i = lr.firstIndex(where: { $0 & 0xFFFF_FFFF == v & 0xFF_FFFF && $0 & VirtualCPUInterface.stateActive != 0 }) { deactivate(i) }
        case .ICC_PMR_EL1: vmcr = vmcr & ~(0xFF << 24) | (v & 0xFF) << 24
        case .ICC_BPR1_EL1: vmcr = vmcr & ~(7 << 18) | (v & 7) << 18
        case .ICC_IGRPEN1_EL1: vmcr = vmcr & ~2 | (v & 1) << 1
        case .ICC_CTLR_EL1: ctlr = v & 0x2   // EOImode
        default: break
        }
    }
}
