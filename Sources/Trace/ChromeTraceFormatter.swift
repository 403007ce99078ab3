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
    /// and its phases, an instant and a counter), each after ",\n".
    func write(_ e: TraceEvent, _ event: HypervisorEvent, _ encoder: TraceEncoder) {
        var vcpuIsNew = false
        if let v = e.vcpu, !namedVCPUs.contains(v) {
            namedVCPUs.insert(v)
            vcpuIsNew = true
        }
        encoder.chromeEvents(e, event, vcpuIsNew: vcpuIsNew)
    }
}

extension TraceEncoder {
    func chromeEvents(_ e: TraceEvent, _ event: HypervisorEvent, vcpuIsNew: Bool) {
        let tid = Int64(e.vcpu ?? 0)
        if vcpuIsNew {
            begin(name: "thread_name")
            out.key("ph"); out.append(jsonString: "M")
            ids(tid: tid)
            out.key("args"); out.beginObject()
            out.key("name"); out.append(jsonString: "vCPU \(tid)")
            out.endObject()
            out.endObject()
        }
        switch event {
        case .exit(let r):
            var kind = r.kind
            kind.withUTF8 { slice(name: $0, category: "exit", ts: r.time, dur: r.cycles, tid: tid) { self.args(e, event) } }
            var at = r.time
            for (p, name) in Self.phaseNames.enumerated() where r.phaseCycles.indices.contains(p) {
                let c = r.phaseCycles[p]
                guard c > 0 else { continue }
                // The phases are most of a Chrome trace: their constant parts go in whole.
                out.append(",\n{\"name\":\"")
                out.append(name)
                out.append("\",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":")
                out.append(decimal: at)
                out.append(",\"dur\":")
                out.append(decimal: c)
                out.append(",\"pid\":1,\"tid\":")
                out.append(decimal: tid)
                out.append(",\"args\":{\"exit\":")
                out.append(decimal: Int64(r.sequence))
                out.append("}}")
                at &+= c
            }
        case .hardware(_, let t, .daif(_, let old, let new, _)):
            instant(e, event, tid: tid, ts: t, name: "DAIF \(old)->\(new)")
            counter("vCPU \(tid) DAIF", ts: t, [("D", new.contains(.d)), ("A", new.contains(.a)), ("I", new.contains(.i)), ("F", new.contains(.f))])
        case .hardware(_, let t, .idle(_, let cycles, _)):
            // Emitted when the vCPU wakes: the idle period ends at `t`.
            let start = t &- cycles
            instant(e, event, tid: tid, ts: start)
            counter("vCPU \(tid) WFI", ts: start, [("waiting", true)])
            counter("vCPU \(tid) WFI", ts: t, [("waiting", false)])
        case .blocked(_, let t, _, let cycles, _):
            instant(e, event, tid: tid, ts: t)
            counter("vCPU \(tid) WFI", ts: t, [("waiting", true)])
            counter("vCPU \(tid) WFI", ts: t &+ cycles, [("waiting", false)])
        case .stop(let t, _):
            begin(name: "stop")
            out.key("cat"); out.append(jsonString: "stop")
            out.key("ph"); out.append(jsonString: "i")
            out.key("s"); out.append(jsonString: "g")
            out.key("ts"); out.append(decimal: t)
            ids(tid: 0)
            out.key("args"); args(e, event)
            out.endObject()
        default:
            instant(e, event, tid: tid, ts: e.time)
        }
    }

    /// `,\n{"name":"..."`
    private func begin(name: UnsafeBufferPointer<UInt8>) {
        out.append(",\n")
        out.beginObject()
        out.key("name")
        out.append(jsonUTF8: name)
    }

    private func begin(name: String) {
        var name = name
        name.withUTF8 { begin(name: $0) }
    }

    /// `"pid":1,"tid":...`
    private func ids(tid: Int64) {
        out.key("pid"); out.append(decimal: ChromeTraceFormatter.pid)
        out.key("tid"); out.append(decimal: tid)
    }

    /// The event's fields as an object, PC first, without an exit's phases (they are slices of their own).
    private func args(_ e: TraceEvent, _ event: HypervisorEvent) {
        out.beginObject()
        if let pc = e.pc {
            out.key("pc"); out.append(jsonHex: pc)
        }
        fields(event, phases: false)
        out.endObject()
    }

    private func slice(name: UnsafeBufferPointer<UInt8>, category: StaticString, ts: UInt64, dur: UInt64, tid: Int64, args: () -> Void) {
        begin(name: name)
        out.key("cat"); out.append(jsonString: category)
        out.key("ph"); out.append(jsonString: "X")
        out.key("ts"); out.append(decimal: ts)
        out.key("dur"); out.append(decimal: dur)
        ids(tid: tid)
        out.key("args"); args()
        out.endObject()
    }

    private func instant(_ e: TraceEvent, _ event: HypervisorEvent, tid: Int64, ts: UInt64, name: String? = nil) {
        begin(name: name ?? e.name.description)
        out.key("cat"); out.append(jsonString: e.name)
        out.key("ph"); out.append(jsonString: "i")
        out.key("s"); out.append(jsonString: "t")
        out.key("ts"); out.append(decimal: ts)
        ids(tid: tid)
        out.key("args"); args(e, event)
        out.endObject()
    }

    private func counter(_ name: String, ts: UInt64, _ values: [(StaticString, Bool)]) {
        begin(name: name)
        out.key("ph"); out.append(jsonString: "C")
        out.key("ts"); out.append(decimal: ts)
        out.key("pid"); out.append(decimal: ChromeTraceFormatter.pid)
        out.key("args"); out.beginObject()
        for (k, v) in values {
            out.key(k); out.append(decimal: UInt64(v ? 1 : 0))
        }
        out.endObject()
        out.endObject()
    }
}
