import CostModel
import EL2

/// A vCPU's meter (CostModel's `Meter`), reachable only from this file: the
/// hypervisor counts nothing by hand. The PE counts each hardware operation
/// it performs, and the meter takes them, into the phase they were performed
/// in, whenever the phase changes; the hypervisor's own work, which the model
/// does not run as instructions, is counted by the operations below as they do it.
struct VCPUMeter {
    fileprivate let meter: Meter
    init(enabled: Bool) { meter = Meter(enabled: enabled, hardware: HardwareOperation.allCases.map(PricedOperation.init)) }
}

extension VCPU {
    /// From now on the PE counts into the meter. What it did before (its
    /// reset, the VM's set-up) is left uncounted: no exit pays for it
    /// (`discardCounts` dropped it before, at every first entry).
    func startMetering() {
        let meter = metering.meter
        _ = cpu.countOperations(into: meter.hardwareRow(meter.phase))
    }

    /// The world switch names the phases between entry and ERET.
    @inline(__always)
    func enter(_ phase: Phase) {
        let meter = metering.meter
        // The PE counts the new phase into its row; what it counted since the last change was the old phase's.
        meter.enter(phase, tookHardware: cpu.countOperations(into: meter.hardwareRow(phase)))
    }

    /// Lends the exit's counts to the ledger (`Meter.withCounts`), the PE's
    /// since the last phase change included.
    @inline(__always)
    func takeCounts(_ body: (CountsView) -> UInt64) -> UInt64 {
        enter(metering.meter.phase)
        return metering.meter.withCounts(body)
    }

    /// Drops set-up work no exit pays for.
    func discardCounts() {
        enter(metering.meter.phase)
        metering.meter.discard()
    }

    /// `body` loads `n` words of the hypervisor's own data (the vCPU's saved
    /// state, its interrupt queue): each is one priced memory access.
    @inline(__always)
    func loadMemory<T>(_ n: Int = 1, _ body: () throws -> T) rethrows -> T {
        let v = try body()
        metering.meter.add(.memoryAccess, n)
        return v
    }

    /// `body` stores `n` words of the hypervisor's own data.
    @inline(__always)
    func storeMemory<T>(_ n: Int = 1, _ body: () throws -> T) rethrows -> T {
        let v = try body()
        metering.meter.add(.memoryAccess, n)
        return v
    }

    /// The host's callee-saved registers (x18-x29, lr) that split mode's
    /// __guest_enter stores on the EL2 stack and __guest_exit loads again.
    static let hostCalleeSaved = 12
    func saveHostCalleeSaved() { metering.meter.add(.gprSave, VCPU.hostCalleeSaved) }
    func restoreHostCalleeSaved() { metering.meter.add(.gprRestore, VCPU.hostCalleeSaved) }

    /// Split mode: the lowvisor ERETs to the highvisor at EL1, which handles the exit.
    func eretToHighvisor() {
        enter(.highvisor)
        metering.meter.add(.eretToHost)
        enter(.handler)
    }

    /// Split mode: the highvisor calls the lowvisor with HVC to run the vCPU again.
    func hvcToLowvisor() {
        enter(.highvisor)
        metering.meter.add(.hvcToEL2)
        enter(.restore)
    }

    /// KVM_RUN returns to the VMM, which emulates the device, and is called again.
    func returnThroughUserspace() {
        metering.meter.add(.ioUserReturn)
    }

    /// Cache maintenance by the hypervisor (stage2_flush_vm, a set/way
    /// operation done on the guest's behalf): the model has no caches; priced
    /// as one memory access.
    func flushGuestCaches() {
        metering.meter.add(.memoryAccess)
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
