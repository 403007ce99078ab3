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

/// A listener given exits and PSCI calls as plain values, no `ExitRecord`
/// or `HypervisorEvent` built for them (the trace writer: building those cost
/// more than its capture), and every other event as it is. Called directly,
/// not through closures.
public protocol EventRecorder: AnyObject {
    /// An exit: `ExitRecord`'s fields but the counts, `phases` the cycles by phase (Phase.rawValue order).
    func recordExit(sequence: Int, vcpu: Int, time: UInt64, pc: UInt64, esr: UInt64?, kind: ExitKind, detail: String,
                    phases: UnsafeBufferPointer<UInt64>, ipa: UInt64?, returnPC: UInt64?)
    func recordPSCI(vcpu: Int, time: UInt64, call: String, power: PowerChange?)
    /// Any event (exits and PSCI calls too, when they were held).
    func record(_ event: HypervisorEvent)
}

/// Delivers events to the observers (tracing is off when there are none).
public final class EventSink {
    public var observers: [(HypervisorEvent) -> Void] = []
    /// The one recorder (`EventRecorder`), if any.
    public private(set) var recorder: EventRecorder?
    var time: () -> UInt64 = { 0 }
    var currentVCPU: () -> Int = { 0 }
    public var isActive: Bool { recorder != nil || !observers.isEmpty }

    public func observe(_ r: EventRecorder) {
        precondition(recorder == nil, "one recorder per VM")
        recorder = r
    }

    /// The recorder when it alone is to have the next event, now: exits and PSCI calls go to it as plain values.
    var directRecorder: EventRecorder? { held == nil && observers.isEmpty ? recorder : nil }

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
        recorder?.record(e)
    }

    /// `emit(.psci(...))`.
    func emitPSCI(vcpu: Int, time: UInt64, call: String, power: PowerChange? = nil) {
        guard let r = directRecorder else { return emit(.psci(vcpu: vcpu, time: time, call: call, power: power)) }
        r.recordPSCI(vcpu: vcpu, time: time, call: call, power: power)
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
