import AArch64
import Unicorn

/// Which guest system-register and system-instruction accesses HCR_EL2 routes
/// to EL2 (Arm ARM D13.2.48 HCR_EL2; the GICv3 and generic-timer trap rules).
extension Processor {
    /// Does an EL1 access to `r` trap to EL2 under the current configuration?
    func trapsToEL2(_ r: SystemRegister, isRead: Bool) -> Bool {
        let hcr = el2.hcr
        if !hcr.isDisjoint(with: Self.hcrTrapControls(r, isRead: isRead)) { return true }
        if r.isVirtualMemoryControl { return false }
        // HCR_EL2.ATA = 0: the MTE registers of EL1 (KVM sets ATA for a guest with MTE).
        if tagging != nil && r.isTrappedByATA && !hcr.contains(.ATA) { return true }
        // CPTR_EL2.TCPAC: CPACR_EL1 (with E2H, CPTR_EL2's layout is CPACR's and TCPAC stays bit 31).
        if r == .CPACR_EL1 && el2.cptr & CPTR.TCPAC.rawValue != 0 { return true }
        // MDCR_EL2.TDA: the debug registers (CRn 0) and MDSCR_EL1; TDOSA: the OS lock (CRn 1). TDE sets both.
        if r.op0 == 2 && el2.mdcr & (MDCR.TDE | (r.crn == 0 ? MDCR.TDA : MDCR.TDOSA)) != 0 { return true }
        // MDCR_EL2.TPM: every PMU register (EL0 ones too: the PE's PMUSERENR is left open); TPMCR: PMCR_EL0.
        if el2.mdcr & (MDCR.TPM | MDCR.TPMCR) != 0 && PerformanceMonitors.isRegister(r)
            && (el2.mdcr & MDCR.TPM != 0 || r == PerformanceMonitors.PMCR_EL0) { return true }
        // CNTHCTL_EL2.EL1PCTEN / EL1PCEN (nVHE layout) gate the physical counter and timer.
        if r == .CNTPCT_EL0 && el2.cnthctl & CNTHCTL.EL1PCTEN == 0 && !hcr.contains(.E2H) { return true }
        if r.op0 == 3 && r.op1 == 3 && r.crn == 14 && r.crm == 2 && el2.cnthctl & CNTHCTL.EL1PCEN == 0 && !hcr.contains(.E2H) { return true }
        return false
    }

    /// The HCR_EL2 bits that trap an MRS/MSR of `r` from EL1/EL0 (each alone
    /// does): the other traps are CPTR_EL2's, MDCR_EL2's, CNTHCTL_EL2's and ATA's.
    static func hcrTrapControls(_ r: SystemRegister, isRead: Bool) -> HCR {
        if r.isVirtualMemoryControl { return isRead ? .TRVM : .TVM }
        var c: HCR = []
        if isRead && r.isTID3Group { c.insert(.TID3) }
        if isRead && (r == .REVIDR_EL1 || r == SystemRegister(3, 1, 0, 0, 7)) { c.insert(.TID1) }
        if r == .CTR_EL0 || r == .CCSIDR_EL1 || r == .CLIDR_EL1 || r == .CSSELR_EL1 { c.insert(.TID2) }
        if r == .ACTLR_EL1 { c.insert(.TACR) }
        if r.op0 == 3 && (r.crn == 11 || r.crn == 15) { c.insert(.TIDCP) }
        // GICv3: SGI generation traps with IMO (ICC_SGI1R, ICC_ASGI1R) or FMO (ICC_SGI0R).
        if !isRead && r.op0 == 3 && r.op1 == 0 && r.crn == 12 && r.crm == 11 {
            if r.op2 == 5 || r.op2 == 6 { c.insert(.IMO) }
            if r.op2 == 7 { c.insert(.FMO) }
        }
        return c
    }

    /// Does an EL1 system instruction (DC, IC, TLBI, AT) trap to EL2?
    func systemInstructionTrapsToEL2(_ r: SystemRegister) -> Bool {
        !el2.hcr.isDisjoint(with: Self.hcrTrapControls(instruction: r))
    }

    /// The HCR_EL2 bits that trap a system instruction from EL1 (each alone does).
    static func hcrTrapControls(instruction r: SystemRegister) -> HCR {
        var c: HCR = []
        // TLBI ... at EL1 (op1=0); the op1=4 forms (TLBI ALLE1, IPAS2E1...) are EL2's, UNDEFINED at EL1.
        if r.op0 == 1 && r.op1 == 0 && r.crn == 8 { c.insert(.TTLB) }
        // DC ISW / CSW / CISW: op1=0, CRn=7, CRm=6/10/14, op2=2.
        if r.op0 == 1 && r.op1 == 0 && r.crn == 7 && (r.crm == 6 || r.crm == 10 || r.crm == 14) && r.op2 == 2 { c.insert(.TSW) }
        // TPCP (TPC in ARMv8.0): DC IVAC, DC CVAC, DC CIVAC, to the point of coherency (QEMU aa64_cacheop_poc_access).
        if r == DCByVA.IVAC || r == DCByVA.CVAC || r == DCByVA.CIVAC { c.insert(.TPCP) }
        // TPU: IC IVAU, DC CVAU, IC IALLU, IC IALLUIS, to the point of unification.
        if r == DCByVA.CVAU || r == DCByVA.IVAU || r == DCByVA.IALLU || r == DCByVA.IALLUIS { c.insert(.TPU) }
        return c
    }

    /// Cache maintenance by VA that EL0 may run (SCTLR_EL1.UCI, else UNDEFINED there
    /// before any EL2 trap): the op1 = 3 forms.
    func cacheMaintenanceAllowedAtEL0(_ r: SystemRegister) -> Bool {
        r.op0 == 1 && r.op1 == 3 && r.crn == 7 && (syncedEngine.read(SystemRegisterID(.SCTLR_EL1)) ?? 0) & (1 << 26) != 0
    }

    /// Registers the hardware itself serves at EL1 when they do not trap:
    /// MIDR/MPIDR from VPIDR/VMPIDR_EL2, the timer and counters, the GIC CPU interface.
    func hardwareRead(_ r: SystemRegister) -> UInt64? {
        switch r {
        case .MIDR_EL1: return el2.vpidr
        case .MPIDR_EL1: return el2.vmpidr
        case .ID_AA64PFR1_EL1 where tagging != nil: return idAA64PFR1()
        default: break
        }
        if PerformanceMonitors.isRegister(r) { return performanceMonitorsRead(r) }
        if r.op0 == 3 && r.op1 == 3 && r.crn == 14 { return timer.read(r, clock: clock, cntvoff: el2.cntvoff) }
        if r.op0 == 3 && r.op1 == 0 && r.crn == 12 && r.crm >= 8 || r == .ICC_PMR_EL1 { return vgic.read(r) }
        if r.op0 == 2 { return debugStateRead(r) }
        return nil
    }

    func hardwareWrite(_ r: SystemRegister, _ v: UInt64) -> Bool {
        if PerformanceMonitors.isRegister(r) { return performanceMonitorsWrite(r, v) }
        if r.op0 == 3 && r.op1 == 3 && r.crn == 14 {
            timer.write(r, v, clock: { clock }, cntvoff: el2.cntvoff)
            updateVirtualInterruptLines()
            return true
        }
        if r.op0 == 3 && r.op1 == 0 && r.crn == 12 && r.crm >= 8 || r == .ICC_PMR_EL1 {
            vgic.write(r, v)
            updateVirtualInterruptLines()
            return true
        }
        if r.op0 == 2 { return debugStateWrite(r, v) }
        return false
    }
}

/// The cache maintenance instructions HCR_EL2.TPCP and TPU trap (Arm ARM C5.3).
enum DCByVA {
    static let IVAC = SystemRegister(1, 0, 7, 6, 1)
    static let CVAC = SystemRegister(1, 3, 7, 10, 1)
    static let CIVAC = SystemRegister(1, 3, 7, 14, 1)
    static let CVAU = SystemRegister(1, 3, 7, 11, 1)
    static let IVAU = SystemRegister(1, 3, 7, 5, 1)      // IC IVAU
    static let IALLU = SystemRegister(1, 0, 7, 5, 0)     // IC IALLU
    static let IALLUIS = SystemRegister(1, 0, 7, 1, 0)   // IC IALLUIS
}
