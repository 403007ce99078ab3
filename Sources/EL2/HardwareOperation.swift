/// The operations the PE performs for the EL2 software, each reported to
/// the `OperationCounter` the software installs, so that what an exit costs
/// is what its code really made the hardware do. The hardware names no
/// price and no phase: those are the software's cost model.
public enum HardwareOperation: Int, CaseIterable, Sendable {
    case trapToEL2          // exception entry from a lower EL to EL2
    case eret               // exception return from EL2
    case sysregReadEL1      // MRS of an EL1 context register (or *_EL12)
    case sysregWriteEL1
    case sysregReadEL2      // MRS of an EL2 control register (HCR, VTTBR, ESR, ...)
    case sysregWriteEL2
    case sysregReadTimer    // CNT* timer/counter registers
    case sysregWriteTimer
    case gprRead            // one general-purpose register read by EL2 software
    case gprWrite
    case redistributorWrite // a store to the GIC redistributor (GICR_ISACTIVER0/ICACTIVER0)
    case tlbMaintenance     // TLBI
    case stage2WalkStep     // one descriptor read by the stage-2 walker
    case listRegisterRead   // ICH_LR<n>_EL2 and the other ICH_* registers
    case listRegisterWrite
}

/// Told of every operation the PE performs for the EL2 software, as it
/// happens. The debugger's and the TLB fill's own accesses are not reported.
public protocol OperationCounter: AnyObject {
    func performed(_ op: HardwareOperation, _ n: Int)
}
