/// MDCR_EL2, the Monitor Debug Configuration Register, as a raw value
/// (Linux kvm_arm.h names).
public enum MDCR {
    /// TDE[8]: debug exceptions go to EL2 (MDCR_EL2_TDE).
    @inlinable public static var TDE: UInt64 { 1 << 8 }
    /// TDA[9]: trap debug register accesses (MDCR_EL2_TDA).
    @inlinable public static var TDA: UInt64 { 1 << 9 }
    /// TDOSA[10]: trap OS lock and power-down register accesses (MDCR_EL2_TDOSA).
    @inlinable public static var TDOSA: UInt64 { 1 << 10 }
    /// TPMCR[5]: trap PMCR_EL0 accesses (MDCR_EL2_TPMCR).
    @inlinable public static var TPMCR: UInt64 { 1 << 5 }
    /// TPM[6]: trap every PMU register access (MDCR_EL2_TPM).
    @inlinable public static var TPM: UInt64 { 1 << 6 }
}
