/// Every operation a cost profile prices: those the EL2 hardware performs
/// and reports (EL2's `HardwareOperation`), and those of the hypervisor
/// software the model does not execute instruction by instruction (its own
/// loads and stores, the split-mode host's HVC and ERET, the trip to a
/// user-space device model). Each is counted per exit and phase.
public enum PricedOperation: Int, CaseIterable, Sendable, CustomStringConvertible {
    case trapToEL2          // exception entry from a lower EL to EL2
    case eret               // exception return from EL2
    case hvcToEL2           // split mode: the highvisor's HVC back into the lowvisor
    case eretToHost         // split mode: the lowvisor's ERET to the highvisor at EL1
    case sysregReadEL1      // MRS of an EL1 context register (or *_EL12)
    case sysregWriteEL1
    case sysregReadEL2      // MRS of an EL2 control register (HCR, VTTBR, ESR, ...)
    case sysregWriteEL2
    case sysregReadTimer    // CNT* timer/counter registers
    case sysregWriteTimer
    case gprSave            // one general-purpose register stored to the context
    case gprRestore
    case memoryAccess       // one load/store of the hypervisor's own data
    case tlbMaintenance     // TLBI
    case stage2WalkStep     // one descriptor read by the stage-2 walker
    case listRegisterRead   // ICH_LR<n>_EL2 and the other ICH_* registers
    case listRegisterWrite
    case ioUserReturn       // leaving the kernel for a user-space device model and back

    public var description: String {
        switch self {
        case .trapToEL2: return "trap to EL2"
        case .eret: return "ERET"
        case .hvcToEL2: return "HVC to lowvisor"
        case .eretToHost: return "ERET to highvisor"
        case .sysregReadEL1: return "sysreg read EL1"
        case .sysregWriteEL1: return "sysreg write EL1"
        case .sysregReadEL2: return "sysreg read EL2"
        case .sysregWriteEL2: return "sysreg write EL2"
        case .sysregReadTimer: return "timer read"
        case .sysregWriteTimer: return "timer write"
        case .gprSave: return "GPR save"
        case .gprRestore: return "GPR restore"
        case .memoryAccess: return "memory access"
        case .tlbMaintenance: return "TLB maintenance"
        case .stage2WalkStep: return "stage-2 walk step"
        case .listRegisterRead: return "GIC LR read"
        case .listRegisterWrite: return "GIC LR write"
        case .ioUserReturn: return "I/O user return"
        }
    }

    /// Stable identifier for JSON and profile files.
    public var key: String {
        switch self {
        case .trapToEL2: return "trap"
        case .eret: return "eret"
        case .hvcToEL2: return "hvc_to_lowvisor"
        case .eretToHost: return "eret_to_highvisor"
        case .sysregReadEL1: return "sysreg_read_el1"
        case .sysregWriteEL1: return "sysreg_write_el1"
        case .sysregReadEL2: return "sysreg_read_el2"
        case .sysregWriteEL2: return "sysreg_write_el2"
        case .sysregReadTimer: return "timer_read"
        case .sysregWriteTimer: return "timer_write"
        case .gprSave: return "gpr_save"
        case .gprRestore: return "gpr_restore"
        case .memoryAccess: return "memory_access"
        case .tlbMaintenance: return "tlbi"
        case .stage2WalkStep: return "stage2_walk_step"
        case .listRegisterRead: return "gic_lr_read"
        case .listRegisterWrite: return "gic_lr_write"
        case .ioUserReturn: return "io_user_return"
        }
    }
}

/// The phases of one exit as the hypervisor's world switch goes through
/// them. `highvisor` is split mode's round trip to the host kernel at EL1.
public enum Phase: Int, CaseIterable, Sendable, CustomStringConvertible {
    case entry, save, handler, highvisor, restore, eret
    public var description: String {
        switch self {
        case .entry: return "entry"
        case .save: return "save"
        case .handler: return "handler"
        case .highvisor: return "highvisor"
        case .restore: return "restore"
        case .eret: return "eret"
        }
    }
}
