/// A system register, named by its MSR/MRS encoding (op0, op1, CRn, CRm, op2)
/// as the Arm ARM lists it. The names are computed constants, not stored
/// statics: the world switch names registers on every exit, and a stored
/// static costs a lazy-initialisation check at each use.
@frozen
public struct SystemRegister: Hashable, Sendable, CustomStringConvertible {
    public let op0, op1, crn, crm, op2: UInt8

    @inlinable
    public init(_ op0: UInt8, _ op1: UInt8, _ crn: UInt8, _ crm: UInt8, _ op2: UInt8) {
        self.op0 = op0; self.op1 = op1; self.crn = crn; self.crm = crm; self.op2 = op2
    }

    /// The register's name, or its generic S<op0>_<op1>_C<n>_C<m>_<op2> form.
    public var description: String {
        SystemRegister.names[self] ?? PerformanceMonitors.name(self) ?? "S\(op0)_\(op1)_C\(crn)_C\(crm)_\(op2)"
    }

    /// The *_EL12 alias (op1 = 5) of an EL1 register, reached from EL2 with E2H.
    public var el12Alias: SystemRegister { SystemRegister(op0, 5, crn, crm, op2) }
    /// The *_EL2 register that an EL1 encoding reaches from EL2 with E2H set.
    public var el2Counterpart: SystemRegister { SystemRegister(op0, 4, crn, crm, op2) }
}

extension SystemRegister {
    // EL1 context (KVM's sysreg-sr.h set).
    @inlinable public static var SCTLR_EL1: SystemRegister { SystemRegister(3, 0, 1, 0, 0) }
    @inlinable public static var ACTLR_EL1: SystemRegister { SystemRegister(3, 0, 1, 0, 1) }
    @inlinable public static var CPACR_EL1: SystemRegister { SystemRegister(3, 0, 1, 0, 2) }
    @inlinable public static var TTBR0_EL1: SystemRegister { SystemRegister(3, 0, 2, 0, 0) }
    @inlinable public static var TTBR1_EL1: SystemRegister { SystemRegister(3, 0, 2, 0, 1) }
    @inlinable public static var TCR_EL1: SystemRegister { SystemRegister(3, 0, 2, 0, 2) }
    @inlinable public static var SPSR_EL1: SystemRegister { SystemRegister(3, 0, 4, 0, 0) }
    @inlinable public static var ELR_EL1: SystemRegister { SystemRegister(3, 0, 4, 0, 1) }
    @inlinable public static var SP_EL0: SystemRegister { SystemRegister(3, 0, 4, 1, 0) }
    @inlinable public static var SP_EL1: SystemRegister { SystemRegister(3, 4, 4, 1, 0) }
    @inlinable public static var AFSR0_EL1: SystemRegister { SystemRegister(3, 0, 5, 1, 0) }
    @inlinable public static var AFSR1_EL1: SystemRegister { SystemRegister(3, 0, 5, 1, 1) }
    @inlinable public static var ESR_EL1: SystemRegister { SystemRegister(3, 0, 5, 2, 0) }
    @inlinable public static var FAR_EL1: SystemRegister { SystemRegister(3, 0, 6, 0, 0) }
    @inlinable public static var PAR_EL1: SystemRegister { SystemRegister(3, 0, 7, 4, 0) }
    @inlinable public static var MAIR_EL1: SystemRegister { SystemRegister(3, 0, 10, 2, 0) }
    @inlinable public static var AMAIR_EL1: SystemRegister { SystemRegister(3, 0, 10, 3, 0) }
    @inlinable public static var VBAR_EL1: SystemRegister { SystemRegister(3, 0, 12, 0, 0) }
    @inlinable public static var CONTEXTIDR_EL1: SystemRegister { SystemRegister(3, 0, 13, 0, 1) }
    @inlinable public static var TPIDR_EL1: SystemRegister { SystemRegister(3, 0, 13, 0, 4) }
    @inlinable public static var CNTKCTL_EL1: SystemRegister { SystemRegister(3, 0, 14, 1, 0) }
    @inlinable public static var MDSCR_EL1: SystemRegister { SystemRegister(2, 0, 0, 2, 2) }
    @inlinable public static var OSLAR_EL1: SystemRegister { SystemRegister(2, 0, 1, 0, 4) }
    @inlinable public static var OSLSR_EL1: SystemRegister { SystemRegister(2, 0, 1, 1, 4) }
    @inlinable public static var OSDLR_EL1: SystemRegister { SystemRegister(2, 0, 1, 3, 4) }
    @inlinable public static var TPIDR_EL0: SystemRegister { SystemRegister(3, 3, 13, 0, 2) }
    @inlinable public static var TPIDRRO_EL0: SystemRegister { SystemRegister(3, 3, 13, 0, 3) }
    @inlinable public static var CURRENTEL: SystemRegister { SystemRegister(3, 0, 4, 2, 2) }
    @inlinable public static var DAIF: SystemRegister { SystemRegister(3, 3, 4, 2, 1) }
    @inlinable public static var NZCV: SystemRegister { SystemRegister(3, 3, 4, 2, 0) }

    // Identification registers (TID1/TID3 groups).
    @inlinable public static var MIDR_EL1: SystemRegister { SystemRegister(3, 0, 0, 0, 0) }
    @inlinable public static var MPIDR_EL1: SystemRegister { SystemRegister(3, 0, 0, 0, 5) }
    @inlinable public static var REVIDR_EL1: SystemRegister { SystemRegister(3, 0, 0, 0, 6) }
    @inlinable public static var ID_AA64PFR0_EL1: SystemRegister { SystemRegister(3, 0, 0, 4, 0) }
    @inlinable public static var ID_AA64PFR1_EL1: SystemRegister { SystemRegister(3, 0, 0, 4, 1) }
    @inlinable public static var ID_AA64DFR0_EL1: SystemRegister { SystemRegister(3, 0, 0, 5, 0) }
    @inlinable public static var ID_AA64ISAR0_EL1: SystemRegister { SystemRegister(3, 0, 0, 6, 0) }
    @inlinable public static var ID_AA64ISAR1_EL1: SystemRegister { SystemRegister(3, 0, 0, 6, 1) }
    @inlinable public static var ID_AA64MMFR0_EL1: SystemRegister { SystemRegister(3, 0, 0, 7, 0) }
    @inlinable public static var ID_AA64MMFR1_EL1: SystemRegister { SystemRegister(3, 0, 0, 7, 1) }
    @inlinable public static var ID_AA64MMFR2_EL1: SystemRegister { SystemRegister(3, 0, 0, 7, 2) }
    @inlinable public static var CTR_EL0: SystemRegister { SystemRegister(3, 3, 0, 0, 1) }
    @inlinable public static var CCSIDR_EL1: SystemRegister { SystemRegister(3, 1, 0, 0, 0) }
    @inlinable public static var CLIDR_EL1: SystemRegister { SystemRegister(3, 1, 0, 0, 1) }
    @inlinable public static var CSSELR_EL1: SystemRegister { SystemRegister(3, 2, 0, 0, 0) }

    // EL2.
    @inlinable public static var VPIDR_EL2: SystemRegister { SystemRegister(3, 4, 0, 0, 0) }
    @inlinable public static var VMPIDR_EL2: SystemRegister { SystemRegister(3, 4, 0, 0, 5) }
    @inlinable public static var SCTLR_EL2: SystemRegister { SystemRegister(3, 4, 1, 0, 0) }
    @inlinable public static var HCR_EL2: SystemRegister { SystemRegister(3, 4, 1, 1, 0) }
    @inlinable public static var MDCR_EL2: SystemRegister { SystemRegister(3, 4, 1, 1, 1) }
    @inlinable public static var CPTR_EL2: SystemRegister { SystemRegister(3, 4, 1, 1, 2) }
    @inlinable public static var TTBR0_EL2: SystemRegister { SystemRegister(3, 4, 2, 0, 0) }
    @inlinable public static var TTBR1_EL2: SystemRegister { SystemRegister(3, 4, 2, 0, 1) }
    @inlinable public static var TCR_EL2: SystemRegister { SystemRegister(3, 4, 2, 0, 2) }
    @inlinable public static var VTTBR_EL2: SystemRegister { SystemRegister(3, 4, 2, 1, 0) }
    @inlinable public static var VTCR_EL2: SystemRegister { SystemRegister(3, 4, 2, 1, 2) }
    @inlinable public static var SPSR_EL2: SystemRegister { SystemRegister(3, 4, 4, 0, 0) }
    @inlinable public static var ELR_EL2: SystemRegister { SystemRegister(3, 4, 4, 0, 1) }
    @inlinable public static var ESR_EL2: SystemRegister { SystemRegister(3, 4, 5, 2, 0) }
    @inlinable public static var FAR_EL2: SystemRegister { SystemRegister(3, 4, 6, 0, 0) }
    @inlinable public static var HPFAR_EL2: SystemRegister { SystemRegister(3, 4, 6, 0, 4) }
    @inlinable public static var MAIR_EL2: SystemRegister { SystemRegister(3, 4, 10, 2, 0) }
    @inlinable public static var VBAR_EL2: SystemRegister { SystemRegister(3, 4, 12, 0, 0) }
    @inlinable public static var CONTEXTIDR_EL2: SystemRegister { SystemRegister(3, 4, 13, 0, 1) }
    @inlinable public static var TPIDR_EL2: SystemRegister { SystemRegister(3, 4, 13, 0, 2) }
    @inlinable public static var CNTHCTL_EL2: SystemRegister { SystemRegister(3, 4, 14, 1, 0) }
    @inlinable public static var CNTVOFF_EL2: SystemRegister { SystemRegister(3, 4, 14, 0, 3) }
    /// The EL2 physical timer (the host's own tick), PPI 26.
    @inlinable public static var CNTHP_TVAL_EL2: SystemRegister { SystemRegister(3, 4, 14, 2, 0) }
    @inlinable public static var CNTHP_CTL_EL2: SystemRegister { SystemRegister(3, 4, 14, 2, 1) }
    @inlinable public static var CNTHP_CVAL_EL2: SystemRegister { SystemRegister(3, 4, 14, 2, 2) }
    /// The EL2 virtual timer (FEAT_VHE), PPI 28.
    @inlinable public static var CNTHV_TVAL_EL2: SystemRegister { SystemRegister(3, 4, 14, 3, 0) }
    @inlinable public static var CNTHV_CTL_EL2: SystemRegister { SystemRegister(3, 4, 14, 3, 1) }
    @inlinable public static var CNTHV_CVAL_EL2: SystemRegister { SystemRegister(3, 4, 14, 3, 2) }
    @inlinable public static var SCR_EL3: SystemRegister { SystemRegister(3, 6, 1, 1, 0) }

    // Generic timer.
    @inlinable public static var CNTFRQ_EL0: SystemRegister { SystemRegister(3, 3, 14, 0, 0) }
    @inlinable public static var CNTPCT_EL0: SystemRegister { SystemRegister(3, 3, 14, 0, 1) }
    @inlinable public static var CNTVCT_EL0: SystemRegister { SystemRegister(3, 3, 14, 0, 2) }
    @inlinable public static var CNTP_TVAL_EL0: SystemRegister { SystemRegister(3, 3, 14, 2, 0) }
    @inlinable public static var CNTP_CTL_EL0: SystemRegister { SystemRegister(3, 3, 14, 2, 1) }
    @inlinable public static var CNTP_CVAL_EL0: SystemRegister { SystemRegister(3, 3, 14, 2, 2) }
    @inlinable public static var CNTV_TVAL_EL0: SystemRegister { SystemRegister(3, 3, 14, 3, 0) }
    @inlinable public static var CNTV_CTL_EL0: SystemRegister { SystemRegister(3, 3, 14, 3, 1) }
    @inlinable public static var CNTV_CVAL_EL0: SystemRegister { SystemRegister(3, 3, 14, 3, 2) }

    // GICv3 CPU interface and its hypervisor control interface.
    @inlinable public static var ICC_PMR_EL1: SystemRegister { SystemRegister(3, 0, 4, 6, 0) }
    @inlinable public static var ICC_IAR1_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 0) }
    @inlinable public static var ICC_EOIR1_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 1) }
    @inlinable public static var ICC_HPPIR1_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 2) }
    @inlinable public static var ICC_BPR1_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 3) }
    @inlinable public static var ICC_CTLR_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 4) }
    @inlinable public static var ICC_SRE_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 5) }
    @inlinable public static var ICC_IGRPEN1_EL1: SystemRegister { SystemRegister(3, 0, 12, 12, 7) }
    @inlinable public static var ICC_DIR_EL1: SystemRegister { SystemRegister(3, 0, 12, 11, 1) }
    @inlinable public static var ICC_SGI1R_EL1: SystemRegister { SystemRegister(3, 0, 12, 11, 5) }
    @inlinable public static var ICH_HCR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 0) }
    @inlinable public static var ICH_VTR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 1) }
    @inlinable public static var ICH_MISR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 2) }
    @inlinable public static var ICH_EISR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 3) }
    @inlinable public static var ICH_ELRSR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 5) }
    @inlinable public static var ICH_VMCR_EL2: SystemRegister { SystemRegister(3, 4, 12, 11, 7) }
    @inlinable
    public static func ICH_LR_EL2(_ n: Int) -> SystemRegister {
        SystemRegister(3, 4, 12, UInt8(12 + (n >> 3)), UInt8(n & 7))
    }

    /// The registers that HCR_EL2.TVM traps writes of and TRVM traps reads of.
    public static let virtualMemoryControls: Set<SystemRegister> = [
        SCTLR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1, ESR_EL1, FAR_EL1, AFSR0_EL1,
        AFSR1_EL1, MAIR_EL1, AMAIR_EL1, CONTEXTIDR_EL1,
    ]

    /// Is this one of `virtualMemoryControls` (the registers HCR_EL2.TVM/TRVM
    /// trap)? Decided from the fields: every trapped MRS/MSR asks.
    @inlinable public var isVirtualMemoryControl: Bool {
        guard op0 == 3 && op1 == 0 else { return false }
        switch (crn, crm, op2) {
        case (1, 0, 0), (2, 0, 0), (2, 0, 1), (2, 0, 2), (5, 1, 0), (5, 1, 1), (5, 2, 0), (6, 0, 0), (10, 2, 0), (10, 3, 0), (13, 0, 1):
            return true
        default:
            return false
        }
    }

    /// SCTLR_EL1, TTBR0/1_EL1, TCR_EL1: a new value changes what a VA
    /// translates to (an ASID, a table, the MMU), so cached translations go.
    @inlinable public var changesTranslationRegime: Bool {
        op0 == 3 && op1 == 0 && (crn == 1 && crm == 0 && op2 == 0 || crn == 2 && crm == 0 && op2 <= 2)
    }

    /// The EL1 system registers KVM saves and restores (`__sysreg_save_el1_state`).
    public static let el1Context: [SystemRegister] = [
        SCTLR_EL1, CPACR_EL1, TTBR0_EL1, TTBR1_EL1, TCR_EL1, ESR_EL1, AFSR0_EL1,
        AFSR1_EL1, FAR_EL1, MAIR_EL1, VBAR_EL1, CONTEXTIDR_EL1, AMAIR_EL1,
        CNTKCTL_EL1, PAR_EL1, TPIDR_EL1, SP_EL1, ELR_EL1, SPSR_EL1,
    ]

    /// Is this an ID register in the TID3 group (op0=3, op1=0, CRn=0, CRm=1..7)?
    @inlinable public var isTID3Group: Bool { op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7 }
    /// Is this an EL2 register (op1 = 4), UNDEFINED from EL1?
    @inlinable public var isEL2: Bool { op1 == 4 && op0 == 3 }
    /// Is this a *_EL12 / *_EL02 alias (op1 = 5)?
    @inlinable public var isEL12Alias: Bool { op1 == 5 && op0 == 3 }

    static let names: [SystemRegister: String] = {
        var n: [SystemRegister: String] = [
            SCTLR_EL1: "SCTLR_EL1", ACTLR_EL1: "ACTLR_EL1", CPACR_EL1: "CPACR_EL1",
            TTBR0_EL1: "TTBR0_EL1", TTBR1_EL1: "TTBR1_EL1", TCR_EL1: "TCR_EL1",
            SPSR_EL1: "SPSR_EL1", ELR_EL1: "ELR_EL1", SP_EL0: "SP_EL0", SP_EL1: "SP_EL1",
            AFSR0_EL1: "AFSR0_EL1", AFSR1_EL1: "AFSR1_EL1", ESR_EL1: "ESR_EL1",
            FAR_EL1: "FAR_EL1", PAR_EL1: "PAR_EL1", MAIR_EL1: "MAIR_EL1",
            AMAIR_EL1: "AMAIR_EL1", VBAR_EL1: "VBAR_EL1", CONTEXTIDR_EL1: "CONTEXTIDR_EL1",
            TPIDR_EL1: "TPIDR_EL1", CNTKCTL_EL1: "CNTKCTL_EL1", MDSCR_EL1: "MDSCR_EL1",
            TPIDR_EL0: "TPIDR_EL0", TPIDRRO_EL0: "TPIDRRO_EL0", CURRENTEL: "CurrentEL",
            DAIF: "DAIF", NZCV: "NZCV",
            MIDR_EL1: "MIDR_EL1", MPIDR_EL1: "MPIDR_EL1", REVIDR_EL1: "REVIDR_EL1",
            ID_AA64PFR0_EL1: "ID_AA64PFR0_EL1", ID_AA64PFR1_EL1: "ID_AA64PFR1_EL1",
            ID_AA64DFR0_EL1: "ID_AA64DFR0_EL1", ID_AA64ISAR0_EL1: "ID_AA64ISAR0_EL1",
            ID_AA64ISAR1_EL1: "ID_AA64ISAR1_EL1", ID_AA64MMFR0_EL1: "ID_AA64MMFR0_EL1",
            ID_AA64MMFR1_EL1: "ID_AA64MMFR1_EL1", ID_AA64MMFR2_EL1: "ID_AA64MMFR2_EL1",
            CTR_EL0: "CTR_EL0", CCSIDR_EL1: "CCSIDR_EL1", CLIDR_EL1: "CLIDR_EL1", CSSELR_EL1: "CSSELR_EL1",
            VPIDR_EL2: "VPIDR_EL2", VMPIDR_EL2: "VMPIDR_EL2", SCTLR_EL2: "SCTLR_EL2",
            HCR_EL2: "HCR_EL2", MDCR_EL2: "MDCR_EL2", CPTR_EL2: "CPTR_EL2",
            TTBR0_EL2: "TTBR0_EL2", TTBR1_EL2: "TTBR1_EL2", TCR_EL2: "TCR_EL2",
            VTTBR_EL2: "VTTBR_EL2", VTCR_EL2: "VTCR_EL2", SPSR_EL2: "SPSR_EL2",
            ELR_EL2: "ELR_EL2", ESR_EL2: "ESR_EL2", FAR_EL2: "FAR_EL2", HPFAR_EL2: "HPFAR_EL2",
            MAIR_EL2: "MAIR_EL2", VBAR_EL2: "VBAR_EL2", CONTEXTIDR_EL2: "CONTEXTIDR_EL2",
            TPIDR_EL2: "TPIDR_EL2", CNTHCTL_EL2: "CNTHCTL_EL2", CNTVOFF_EL2: "CNTVOFF_EL2",
            CNTHP_TVAL_EL2: "CNTHP_TVAL_EL2", CNTHP_CTL_EL2: "CNTHP_CTL_EL2", CNTHP_CVAL_EL2: "CNTHP_CVAL_EL2",
            CNTHV_TVAL_EL2: "CNTHV_TVAL_EL2", CNTHV_CTL_EL2: "CNTHV_CTL_EL2", CNTHV_CVAL_EL2: "CNTHV_CVAL_EL2",
            SCR_EL3: "SCR_EL3",
            CNTFRQ_EL0: "CNTFRQ_EL0", CNTPCT_EL0: "CNTPCT_EL0", CNTVCT_EL0: "CNTVCT_EL0",
            CNTP_TVAL_EL0: "CNTP_TVAL_EL0", CNTP_CTL_EL0: "CNTP_CTL_EL0", CNTP_CVAL_EL0: "CNTP_CVAL_EL0",
            CNTV_TVAL_EL0: "CNTV_TVAL_EL0", CNTV_CTL_EL0: "CNTV_CTL_EL0", CNTV_CVAL_EL0: "CNTV_CVAL_EL0",
            ICC_PMR_EL1: "ICC_PMR_EL1", ICC_IAR1_EL1: "ICC_IAR1_EL1", ICC_EOIR1_EL1: "ICC_EOIR1_EL1",
            ICC_HPPIR1_EL1: "ICC_HPPIR1_EL1", ICC_BPR1_EL1: "ICC_BPR1_EL1", ICC_CTLR_EL1: "ICC_CTLR_EL1",
            ICC_SRE_EL1: "ICC_SRE_EL1", ICC_IGRPEN1_EL1: "ICC_IGRPEN1_EL1", ICC_DIR_EL1: "ICC_DIR_EL1",
            ICC_SGI1R_EL1: "ICC_SGI1R_EL1", ICH_HCR_EL2: "ICH_HCR_EL2", ICH_VTR_EL2: "ICH_VTR_EL2",
            ICH_MISR_EL2: "ICH_MISR_EL2", ICH_EISR_EL2: "ICH_EISR_EL2", ICH_ELRSR_EL2: "ICH_ELRSR_EL2", ICH_VMCR_EL2: "ICH_VMCR_EL2",
        ]
        for i in 0..<16 { n[ICH_LR_EL2(i)] = "ICH_LR\(i)_EL2" }
        for (r, name) in n where r.op0 == 3 && r.op1 == 0 && name.hasSuffix("_EL1") && !name.hasPrefix("ICC") && !name.hasPrefix("ID_") {
            n[r.el12Alias] = String(name.dropLast(4)) + "_EL12"
        }
        return n
    }()
}
