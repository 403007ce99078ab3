/// CPTR_EL2, the Architectural Feature Trap Register, in its nVHE layout
/// (E2H=0; with E2H the EL2 view is CPACR_EL1's layout). Linux kvm_arm.h names.
public struct CPTR: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Bits [7:0], 9, [13:12]: RES1 (CPTR_NVHE_EL2_RES1, CPTR_EL2_RES1 before it).
    @inlinable public static var RES1: CPTR { CPTR(rawValue: 0x32FF) }
    /// TZ: trap SVE (CPTR_EL2_TZ); RES1 on a PE without SVE.
    @inlinable public static var TZ: CPTR { CPTR(rawValue: 1 << 8) }
    /// TFP: trap FP/SIMD (CPTR_EL2_TFP).
    @inlinable public static var TFP: CPTR { CPTR(rawValue: 1 << 10) }
    /// TTA: trap trace register accesses (CPTR_EL2_TTA).
    @inlinable public static var TTA: CPTR { CPTR(rawValue: 1 << 20) }
    /// TCPAC: trap CPACR_EL1 accesses (CPTR_EL2_TCPAC).
    @inlinable public static var TCPAC: CPTR { CPTR(rawValue: 1 << 31) }

    /// CPTR_EL2_DEFAULT of Linux 4.x (0x33FF): RES1 and TZ (no SVE), FP/SIMD,
    /// trace and CPACR_EL1 not trapped.
    @inlinable public static var `default`: CPTR { [.RES1, .TZ] }
}

/// CPACR_EL1, the EL1 view of the same traps (and CPTR_EL2's layout with
/// E2H). Linux sysreg.h names.
public enum CPACR {
    /// FPEN[21:20] = 0b11: FP/SIMD not trapped at EL1 or EL0 (CPACR_EL1_FPEN).
    @inlinable public static var FPEN: UInt64 { 3 << 20 }
}
