/// The control registers of the GICv3 virtual CPU interface, held as raw
/// values; their fields as the Arm ARM names them (Linux arm-gic-v3.h).

/// ICH_HCR_EL2, the interface's hypervisor control: En[0] UIE[1] NPIE[3] EOIcount[31:27].
public enum ICH_HCR {
    /// En: the virtual CPU interface is enabled (ICH_HCR_EN).
    @inlinable public static var En: UInt64 { 1 << 0 }
    /// UIE: maintenance interrupt when at most one LR holds an interrupt (underflow; ICH_HCR_UIE).
    @inlinable public static var UIE: UInt64 { 1 << 1 }
    /// NPIE: maintenance interrupt when no LR is pending (ICH_HCR_NPIE).
    @inlinable public static var NPIE: UInt64 { 1 << 3 }
    /// EOIcount[31:27]: EOIs with no matching LR, five bits that wrap (ICH_HCR_EOIcount_SHIFT).
    @inlinable public static var EOIcountShift: UInt64 { 27 }
    @inlinable public static var EOIcountMask: UInt64 { 0x1F }
}

/// ICH_VMCR_EL2, the guest's interface state the hypervisor saves and
/// restores: VENG1[1] VBPR1[20:18] VPMR[31:24].
public enum ICH_VMCR {
    /// VENG1: virtual Group 1 interrupts enabled, ICC_IGRPEN1_EL1 (ICH_VMCR_ENG1_SHIFT).
    @inlinable public static var VENG1Shift: UInt64 { 1 }
    @inlinable public static var VENG1: UInt64 { 1 << VENG1Shift }
    /// VBPR1[20:18], the binary point, ICC_BPR1_EL1 (ICH_VMCR_BPR1_SHIFT).
    @inlinable public static var VBPR1Shift: UInt64 { 18 }
    @inlinable public static var VBPR1Mask: UInt64 { 7 }
    /// VPMR[31:24], the priority mask, ICC_PMR_EL1 (ICH_VMCR_PMR_SHIFT).
    @inlinable public static var VPMRShift: UInt64 { 24 }
    @inlinable public static var VPMRMask: UInt64 { 0xFF }
}

/// ICH_MISR_EL2, why the maintenance interrupt is asserted: EOI[0] U[1] NP[3].
public enum ICH_MISR {
    /// EOI: an LR with EOI set was deactivated (ICH_MISR_EOI).
    @inlinable public static var EOI: UInt64 { 1 << 0 }
    /// U: underflow, with ICH_HCR_EL2.UIE (ICH_MISR_U).
    @inlinable public static var U: UInt64 { 1 << 1 }
    /// NP: no pending LR, with ICH_HCR_EL2.NPIE (ICH_MISR_NP).
    @inlinable public static var NP: UInt64 { 1 << 3 }
}

/// ICH_VTR_EL2, what the interface implements: ListRegs[4:0] A3V[21]
/// IDbits[25:23] PREbits[28:26] PRIbits[31:29] (bit counts minus one;
/// IDbits 0 is 16 bits).
public enum ICH_VTR {
    @inlinable public static var A3V: UInt64 { 1 << 21 }
    @inlinable public static var PREbitsShift: UInt64 { 26 }
    @inlinable public static var PRIbitsShift: UInt64 { 29 }
}
