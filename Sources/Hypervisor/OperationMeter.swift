import CostModel
import EL2

/// The vCPU's meter hears every operation its PE performs for the
/// hypervisor: a trap to EL2 begins an exit's entry phase, an ERET its eret
/// phase; the world switch names the phases between.
extension VCPU: OperationCounter {
    public func performed(_ op: HardwareOperation, _ n: Int) {
        switch op {
        case .trapToEL2: meter.phase = .entry
        case .eret: meter.phase = .eret
        default: break
        }
        meter.add(PricedOperation(op), n)
    }
}

extension PricedOperation {
    /// The price list's name for a hardware operation.
    init(_ op: HardwareOperation) {
        switch op {
        case .trapToEL2: self = .trapToEL2
        case .eret: self = .eret
        case .sysregReadEL1: self = .sysregReadEL1
        case .sysregWriteEL1: self = .sysregWriteEL1
        case .sysregReadEL2: self = .sysregReadEL2
        case .sysregWriteEL2: self = .sysregWriteEL2
        case .sysregReadTimer: self = .sysregReadTimer
        case .sysregWriteTimer: self = .sysregWriteTimer
        case .gprRead: self = .gprSave
        case .gprWrite: self = .gprRestore
        case .redistributorWrite: self = .memoryAccess
        case .tlbMaintenance: self = .tlbMaintenance
        case .stage2WalkStep: self = .stage2WalkStep
        case .listRegisterRead: self = .listRegisterRead
        case .listRegisterWrite: self = .listRegisterWrite
        }
    }
}
