/// SCTLR_ELx, the System Control Register, as raw values (Linux sysreg.h names).
public enum SCTLR {
    /// M[0]: the stage-1 MMU is on (SCTLR_ELx_M).
    @inlinable public static var M: UInt64 { 1 << 0 }
    /// C[2]: data accesses are cacheable (SCTLR_ELx_C).
    @inlinable public static var C: UInt64 { 1 << 2 }
    /// SCTLR_EL1's RES1 bits in ARMv8.0, 11, 20, 22, 23, 28, 29 (Linux's
    /// SCTLR_EL1_RES1 and SPAN): its reset value, MMU and caches off.
    @inlinable public static var EL1RES1: UInt64 { 0x30D0_0800 }
    /// SCTLR_EL2's RES1 bits 4, 5, 11, 16, 18, 22, 23, 28, 29 (SCTLR_EL2_RES1).
    @inlinable public static var EL2RES1: UInt64 { 0x30C5_0830 }
}
