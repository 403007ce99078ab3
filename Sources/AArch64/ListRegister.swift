/// ICH_LR<n>_EL2, a GICv3 list register: one virtual interrupt the
/// hypervisor presents to the virtual CPU interface. The registers are kept
/// as raw values; these are their fields, named as the Arm ARM names them
/// (Linux arm-gic-v3.h: ICH_LR_*):
/// vINTID[31:0] pINTID[44:32] EOI[41] Priority[55:48] Group[60] HW[61] State[63:62].
public enum ListRegister {
    /// vINTID[31:0], the interrupt the guest sees (ICH_LR_VIRTUAL_ID_MASK).
    @inlinable public static var vINTIDMask: UInt64 { 0xFFFF_FFFF }
    /// pINTID[44:32], with HW=1: the physical interrupt deactivated with the virtual one (ICH_LR_PHYS_ID_SHIFT).
    @inlinable public static var pINTIDShift: UInt64 { 32 }
    @inlinable public static var pINTIDMask: UInt64 { 0x1FFF }
    /// EOI[41], with HW=0: a maintenance interrupt when the guest deactivates it (ICH_LR_EOI).
    @inlinable public static var EOI: UInt64 { 1 << 41 }
    /// Priority[55:48] (ICH_LR_PRIORITY_SHIFT).
    @inlinable public static var priorityShift: UInt64 { 48 }
    /// Group[60]: a Group 1 interrupt (ICH_LR_GROUP).
    @inlinable public static var Group: UInt64 { 1 << 60 }
    /// HW[61]: the virtual interrupt forwards a physical one, pINTID (ICH_LR_HW).
    @inlinable public static var HW: UInt64 { 1 << 61 }
    /// State[63:62]: 00 invalid (the LR is free), 01 pending, 10 active,
    /// 11 pending and active (ICH_LR_STATE, ICH_LR_PENDING_BIT, ICH_LR_ACTIVE_BIT).
    @inlinable public static var State: UInt64 { 3 << 62 }
    @inlinable public static var pendingBit: UInt64 { 1 << 62 }
    @inlinable public static var activeBit: UInt64 { 1 << 63 }

    @inlinable public static func vINTID(_ lr: UInt64) -> UInt64 { lr & vINTIDMask }
    @inlinable public static func pINTID(_ lr: UInt64) -> UInt64 { lr >> pINTIDShift & pINTIDMask }
    @inlinable public static func priority(_ lr: UInt64) -> UInt64 { lr >> priorityShift & 0xFF }
}
