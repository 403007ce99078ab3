import AArch64
import EL2

/// Everything a run reports, in order, for traces and statistics.
public enum HypervisorEvent {
    case exit(ExitRecord)
    case hardware(vcpu: Int, time: UInt64, ProcessorEvent)
    /// The vCPU was blocked in a trapped WFI for `cycles` and woken by `reason`.
    case blocked(vcpu: Int, time: UInt64, pc: UInt64, cycles: UInt64, woken: String)
    /// A PSCI call as said (`call`), and the vCPU it turned on or off, if any.
    case psci(vcpu: Int, time: UInt64, call: String, power: PowerChange? = nil)
    case mmio(vcpu: Int, time: UInt64, address: UInt64, size: Int, isWrite: Bool, value: UInt64, device: String)
    case note(vcpu: Int, time: UInt64, String)
    case stop(time: UInt64, StopReason)
}

/// What a PSCI call did to a vCPU's power: traces order events by it.
public enum PowerChange: Sendable, Equatable {
    case on(vcpu: Int), off(vcpu: Int)
}

/// Delivers events to the observers (tracing is off when there are none).
public final class EventSink {
    public var observers: [(HypervisorEvent) -> Void] = []
    /// Observers given an exit as its record and every other event as it is
    /// (`observe`): no event is built around each exit for them, nor copied out of one.
    private var recordObservers: [RecordObserver] = []
    var time: () -> UInt64 = { 0 }
    var currentVCPU: () -> Int = { 0 }
    public var isActive: Bool { !observers.isEmpty || !recordObservers.isEmpty }

    public func observe(exits: @escaping (ExitRecord) -> Void, others: @escaping (HypervisorEvent) -> Void) {
        recordObservers.append(RecordObserver(exit: exits, other: others))
    }

    /// In a class, not a tuple in the array: a closure stored in an array
    /// takes its argument copied into memory, the whole record each exit.
    private final class RecordObserver {
        let exit: (ExitRecord) -> Void, other: (HypervisorEvent) -> Void
        init(exit: @escaping (ExitRecord) -> Void, other: @escaping (HypervisorEvent) -> Void) { (self.exit, self.other) = (exit, other) }
    }
    /// Whether an exit's record carries a copy of its operation counts
    /// (`ExitRecord.counts`, 3.4 KiB an exit; empty otherwise): traces and
    /// statistics need only the cycles by phase.
    public var copiesCounts = true

    /// While set, events are kept back (`hold`/`release`) so a record made
    /// later (a blocked vCPU's exit) can still come first in the trace.
    var held: [HypervisorEvent]?

    public func emit(_ e: HypervisorEvent) {
        if held != nil { held!.append(e); return }
        for o in observers { o(e) }
        guard !recordObservers.isEmpty else { return }
        if case .exit(let r) = e {
            for o in recordObservers { o.exit(r) }
        } else {
            for o in recordObservers { o.other(e) }
        }
    }

    /// `emit(.exit(r))`.
    func emit(exit r: ExitRecord) {
        guard held == nil, observers.isEmpty else { return emit(.exit(r)) }
        for o in recordObservers { o.exit(r) }
    }

    func hold() { if held == nil { held = [] } }

    func release() {
        guard let h = held else { return }
        held = nil
        for e in h { emit(e) }
    }

    func note(_ s: String) {
        guard isActive else { return }
        emit(.note(vcpu: currentVCPU(), time: time(), s))
    }
}
