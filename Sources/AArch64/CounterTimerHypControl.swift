/// CNTHCTL_EL2, the counter-timer hypervisor control, in its nVHE layout
/// (E2H=0), as a raw value (Linux arch_timer.h names).
public enum CNTHCTL {
    /// EL1PCTEN[0]: EL1 and EL0 may read the physical counter (CNTHCTL_EL1PCTEN).
    @inlinable public static var EL1PCTEN: UInt64 { 1 << 0 }
    /// EL1PCEN[1]: EL1 and EL0 may use the physical timer (CNTHCTL_EL1PCEN).
    @inlinable public static var EL1PCEN: UInt64 { 1 << 1 }
}
