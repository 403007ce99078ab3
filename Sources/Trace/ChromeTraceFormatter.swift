import AArch64
import EL2
import Hypervisor

/// Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing
/// open): one process for the VM, a track (thread) per vCPU, each exit a
/// complete ("X") slice with a nested slice per phase sized by the ledger's
/// cycles, and DAIF and WFI as instant events plus counters.
///
/// Times are virtual cycles written as the format's microseconds: one
/// "µs" in the viewer is one modelled cycle. The object's `traceEvents`
/// array comes last so the file can be streamed event by event.
public final class ChromeTraceFormatter {
    static let pid: Int64 = 1
    var namedVCPUs = Set<Int>()

    public init() {}

    public func header(profile: String, mode: String) -> String {
        let meta: JSONValue = .object([("name", .string("process_name")), ("ph", .string("M")), ("pid", .int(Self.pid)), ("tid", .int(0)),
                                       ("args", .object([("name", .string("el2emu VM (\(mode), \(profile))"))]))])
        return "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_unit\":\"1 us in the viewer = 1 modelled cycle\",\"mode\":"
            + JSONValue.string(mode).serialized + ",\"profile\":" + JSONValue.string(profile).serialized
            + "},\"traceEvents\":[\n" + meta.serialized
    }

    public var footer: String { "\n]}\n" }

    /// The trace events for one hypervisor event (possibly several: a slice
    /// and its phases, an instant and a counter).
    public func events(_ event: HypervisorEvent) -> [JSONValue] {
        let e = TraceEvent(event)
        var out: [JSONValue] = []
        if let v = e.vcpu, !namedVCPUs.contains(v) {
            namedVCPUs.insert(v)
            out.append(.object([("name", .string("thread_name")), ("ph", .string("M")), ("pid", .int(Self.pid)), ("tid", .int(Int64(v))),
                                ("args", .object([("name", .string("vCPU \(v)"))]))]))
        }
        let tid = Int64(e.vcpu ?? 0)
        switch event {
        case .exit(let r):
            out.append(slice(name: r.kind, category: "exit", ts: r.time, dur: r.cycles, tid: tid, args: .object(argFields(e))))
            var at = r.time
            for p in Phase.allCases where r.phaseCycles.indices.contains(p.rawValue) {
                let c = r.phaseCycles[p.rawValue]
                guard c > 0 else { continue }
                out.append(slice(name: p.description, category: "phase", ts: at, dur: c, tid: tid, args: .object([("exit", .int(Int64(r.sequence)))])))
                at &+= c
            }
        case .hardware(_, let t, .daif(_, let old, let new, _)):
            out.append(instant(e, tid: tid, ts: t, name: "DAIF \(old)->\(new)"))
            out.append(counter("vCPU \(tid) DAIF", ts: t, [("D", new.contains(.d)), ("A", new.contains(.a)), ("I", new.contains(.i)), ("F", new.contains(.f))]))
        case .hardware(_, let t, .idle(_, let cycles, _)):
            // Emitted when the vCPU wakes: the idle period ends at `t`.
            let start = t &- cycles
            out.append(instant(e, tid: tid, ts: start))
            out.append(counter("vCPU \(tid) WFI", ts: start, [("waiting", true)]))
            out.append(counter("vCPU \(tid) WFI", ts: t, [("waiting", false)]))
        case .blocked(_, let t, _, let cycles, _):
            out.append(instant(e, tid: tid, ts: t))
            out.append(counter("vCPU \(tid) WFI", ts: t, [("waiting", true)]))
            out.append(counter("vCPU \(tid) WFI", ts: t &+ cycles, [("waiting", false)]))
        case .stop(let t, _):
            out.append(.object([("name", .string("stop")), ("cat", .string("stop")), ("ph", .string("i")), ("s", .string("g")),
                                ("ts", .uint(t)), ("pid", .int(Self.pid)), ("tid", .int(0)), ("args", .object(argFields(e)))]))
        default:
            out.append(instant(e, tid: tid, ts: e.time))
        }
        return out
    }

    func argFields(_ e: TraceEvent) -> [(String, JSONValue)] {
        (e.pc.map { [("pc", JSONValue.hex($0))] } ?? []) + e.fields.filter { $0.0 != "phases" }
    }

    func slice(name: String, category: String, ts: UInt64, dur: UInt64, tid: Int64, args: JSONValue) -> JSONValue {
        .object([("name", .string(name)), ("cat", .string(category)), ("ph", .string("X")), ("ts", .uint(ts)), ("dur", .uint(dur)),
                 ("pid", .int(Self.pid)), ("tid", .int(tid)), ("args", args)])
    }

    func instant(_ e: TraceEvent, tid: Int64, ts: UInt64, name: String? = nil) -> JSONValue {
        .object([("name", .string(name ?? e.name)), ("cat", .string(e.name)), ("ph", .string("i")), ("s", .string("t")), ("ts", .uint(ts)),
                        ("pid", .int(Self.pid)), ("tid", .int(tid)), ("args", .object(argFields(e)))])
    }

    func counter(_ name: String, ts: UInt64, _ values: [(String, Bool)]) -> JSONValue {
        .object([("name", .string(name)), ("ph", .string("C")), ("ts", .uint(ts)), ("pid", .int(Self.pid)),
                 ("args", .object(values.map { ($0.0, .int($0.1 ? 1 : 0)) }))])
    }
}
