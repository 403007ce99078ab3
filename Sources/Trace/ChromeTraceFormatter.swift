import AArch64
import EL2
import Hypervisor

/// Chrome trace-event JSON (the format ui.perfetto.dev and chrome://tracing
/// open): one process for the VM, a track (thread) per vCPU, each exit a
/// complete ("X") slice with a nested slice per phase sized by the ledger's
/// cycles, a wait in WFI a slice, a guest's IRQ handler a begin/end pair from
/// the exception to its ERET, a virtual IPI a flow from the sender's exit to
/// the receiver's handler, and DAIF an instant plus a counter.
///
/// `ts` and `dur` are microseconds of virtual time (cycles at the model's
/// CPU clock), rounded to the nanosecond at each slice's ends so slices
/// still nest; the exact cycles are in the arguments. Events are written in
/// time order (`TimeOrder`); the object's `traceEvents` array comes last so
/// the file can be streamed event by event.
public final class ChromeTraceFormatter {
    static let pid: Int64 = 1
    let encoder: TraceEncoder
    let out: TraceBuffer
    let cpuHz: UInt64
    var namedVCPUs = Set<Int>()
    /// `namedVCPUs` for vCPUs 0-63, looked up on every event without hashing.
    private var named = [Bool](repeating: false, count: 64)
    /// A vCPU woken from a blocking WFI: its WFx exit's cost comes after the wait.
    var waited: [Int: (start: UInt64, cycles: UInt64)] = [:]
    /// Virtual IPIs made pending, waiting for their sender's exit.
    var unsent: [(target: Int, time: UInt64)] = []
    /// Flows sent to each vCPU, ending where it next takes an IRQ.
    var inbound: [Int: [UInt64]] = [:]
    var nextFlow: UInt64 = 1
    /// Each vCPU's IRQ handlers begun and not yet returned from.
    var openIRQs: [Int: Int] = [:]
    var lastTime: UInt64 = 0

    /// IRQ handler slices need both ends: the exception (irq class) and the ERET (daif class).
    let handlerSlices: Bool

    init(_ encoder: TraceEncoder, cpuHz: UInt64 = VirtualClock().cpuHz, handlerSlices: Bool = true) {
        self.encoder = encoder
        self.handlerSlices = handlerSlices
        out = encoder.out
        self.cpuHz = max(cpuHz, 1)
        picosecondsPerCycle = 1_000_000_000_000 % self.cpuHz == 0 ? 1_000_000_000_000 / self.cpuHz : nil
    }

    public func header(profile: String, mode: String) -> String {
        let meta: JSONValue = .object([("name", .string("process_name")), ("ph", .string("M")), ("pid", .int(Self.pid)), ("tid", .int(0)),
                                       ("args", .object([("name", .string("el2emu VM (\(mode), \(profile))"))]))])
        return "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time_unit\":\"ts and dur: microseconds of virtual time at cpu_hz, rounded to the ns; args.cycles: exact cycles\",\"cpu_hz\":\(cpuHz),\"mode\":"
            + JSONValue.string(mode).serialized + ",\"profile\":" + JSONValue.string(profile).serialized
            + "},\"traceEvents\":[\n" + meta.serialized
    }

    public var footer: String { "\n]}\n" }

    /// Picoseconds per cycle when whole (500 at 2 GHz): the common case needs no 128-bit division.
    let picosecondsPerCycle: UInt64?

    /// The virtual time at `cycles`, in ns (rounded).
    @inline(__always)
    func nanoseconds(_ cycles: UInt64) -> UInt64 {
        if let ps = picosecondsPerCycle {
            let (p, o) = cycles.multipliedReportingOverflow(by: ps)
            if !o && p <= UInt64.max - 500 { return (p + 500) / 1000 }
        }
        let (hi, lo) = cycles.multipliedFullWidth(by: 1_000_000_000)
        let (l, carry) = lo.addingReportingOverflow(cpuHz / 2)
        let h = hi &+ (carry ? 1 : 0)
        return h >= cpuHz ? UInt64.max : cpuHz.dividingFullWidth((h, l)).quotient
    }

    /// `ns` as the format's microseconds: "12.345".
    @inline(__always)
    func appendMicroseconds(_ ns: UInt64) { out.append(thousandths: ns) }

    /// `"ts":...,"dur":...` of the cycles from `start` for `cycles`.
    func appendSpan(_ start: UInt64, _ cycles: UInt64) {
        let a = nanoseconds(start)
        out.key("ts"); appendMicroseconds(a)
        out.key("dur"); appendMicroseconds(nanoseconds(start &+ cycles) &- a)
    }

    /// The trace events for one hypervisor event (possibly several: a slice
    /// and its phases, an instant and a counter), each after ",\n".
    func write(_ e: TraceEvent, _ event: HypervisorEvent) {
        switch event {
        case .exit(let r): return writeExit(CapturedExit(r), r.kind, r.detail)
        case .psci(let v, let t, let call, let power): return writePSCI(CapturedPSCI(vcpu: v, time: t, call: -1, power: power), call)
        default: break
        }
        let tid = seen(e.time, e.vcpu)
        switch event {
        case .hardware(let v, let t, .daif(_, let old, let new, let cause)):
            instant(e, event, tid: tid, ts: t, name: "DAIF \(old)->\(new)")
            counter("vCPU \(tid) DAIF", ts: t, [("D", new.contains(.d)), ("A", new.contains(.a)), ("I", new.contains(.i)), ("F", new.contains(.f))])
            if cause == "ERET", let n = openIRQs[v], n > 0 {
                openIRQs[v] = n - 1
                handler(begins: false, tid: tid, at: t)
            }
        case .hardware(let v, let t, .guestException(_, _, let kind, _)):
            instant(e, event, tid: tid, ts: t)
            guard handlerSlices, kind == "irq" || kind == "EL2 irq" else { break }
            // The handler runs until its ERET (a begin/end pair: its length is not known yet).
            openIRQs[v, default: 0] += 1
            handler(begins: true, tid: tid, at: t)
            for id in inbound.removeValue(forKey: v) ?? [] { flow(id, end: true, tid: tid, at: t, rank: 1) }
        case .hardware(_, _, .guestEL2Return(let x)):
            guestEL2ExitSlice(x, e, event, tid: tid)   // GuestEL2ExitTrace.swift
        case .hardware(let v, let t, .virtualInterrupt(let intid, true)) where intid < 16:
            instant(e, event, tid: tid, ts: t)
            guard handlerSlices else { break }   // the flow would have no end
            unsent.append((v, t))
            if unsent.count > 64 { unsent.removeFirst() }
        case .hardware(_, let t, .idle(_, let cycles, _)) where cycles > 0:
            // Told when the vCPU wakes: the wait ended at `t`.
            wait(e, event, tid: tid, start: t &- cycles, cycles: cycles)
        case .blocked(let v, let t, _, let cycles, _) where cycles > 0:
            wait(e, event, tid: tid, start: t, cycles: cycles)
            waited[v] = (t, cycles)
        case .stop(let t, _):
            finish(at: t)
            begin(name: "stop", at: t, rank: .max)
            out.key("cat"); out.append(jsonString: "stop")
            out.key("ph"); out.append(jsonString: "i")
            out.key("s"); out.append(jsonString: "g")
            out.key("ts"); appendMicroseconds(nanoseconds(t))
            ids(tid: 0)
            out.key("args"); args(e, event)
            out.endObject()
        default:
            instant(e, event, tid: tid, ts: e.time)
        }
    }

    /// An exit's slice and its phases (as `write` writes every event).
    func writeExit(_ x: CapturedExit, _ kind: String, _ detail: String) {
        exit(x, kind, detail, tid: seen(x.time, x.vcpu))
    }

    /// A PSCI call's instant (as `write` writes every event): the bytes
    /// after its time are the last call's when it was the same.
    func writePSCI(_ p: CapturedPSCI, _ call: String) {
        let tid = seen(p.time, p.vcpu)
        encoder.piece(p.time, rank: .max)
        out.append(",\n{\"name\":\"psci\",\"cat\":\"psci\",\"ph\":\"i\",\"s\":\"t\",\"ts\":")
        appendMicroseconds(nanoseconds(p.time))
        out.comma = true
        if p.sameLine(as: lastCall) {
            out.append(lastCallBytes.bytes)
            return
        }
        let start = out.count
        ids(tid: tid)
        out.key("args"); out.beginObject()
        out.key("call"); out.append(jsonString: call)
        out.endObject()
        out.endObject()
        lastCall = p
        lastCallBytes.removeAll()
        lastCallBytes.append(UnsafeBufferPointer(rebasing: out.bytes[start...]))
    }

    private let lastCallBytes = TraceBuffer(capacity: 256)
    private var lastCall = CapturedPSCI.none

    /// An event at `time` on `vcpu` (nil: the VM's): its track named the first time. Its tid.
    private func seen(_ time: UInt64, _ vcpu: Int?) -> Int64 {
        lastTime = max(lastTime, time)
        let tid = Int64(vcpu ?? 0)
        if let v = vcpu, !(named.indices.contains(v) && named[v]), !namedVCPUs.contains(v) {
            namedVCPUs.insert(v)
            if named.indices.contains(v) { named[v] = true }
            begin(name: "thread_name", at: 0, rank: 0)
            out.key("ph"); out.append(jsonString: "M")
            ids(tid: tid)
            out.key("args"); out.beginObject()
            out.key("name"); out.append(jsonString: "vCPU \(tid)")
            out.endObject()
            out.endObject()
        }
        return tid
    }

    /// An exit's slice and its phases. A blocking WFI's exit is charged after
    /// the wait (the model's clock stands still until the wake), so it is drawn there.
    private func exit(_ r: CapturedExit, _ kind: String, _ detail: String, tid: Int64) {
        var start = r.time
        if !waited.isEmpty, let w = waited.removeValue(forKey: r.vcpu), w.start == r.time { start &+= w.cycles }
        let a = nanoseconds(start)
        exitSlice(r, kind, detail, tid: tid, start: start, a)
        // The sender's exit starts when it made the IPI pending.
        let sent = unsent.isEmpty ? [] : unsent.filter { $0.time == r.time && $0.target != r.vcpu }
        if !unsent.isEmpty { unsent.removeAll { $0.time == r.time } }
        for s in sent {
            flow(nextFlow, end: false, tid: tid, at: start, rank: Self.sliceRank(r.cycles))
            inbound[s.target, default: []].append(nextFlow)
            nextFlow += 1
        }
        // The phases are most of a Chrome trace: their constant parts go in
        // whole, what they share (tid, the exit's number) made once.
        phaseTail.removeAll()
        phaseTail.append(",\"pid\":1,\"tid\":")
        phaseTail.append(decimal: tid)
        phaseTail.append(",\"args\":{\"exit\":")
        phaseTail.append(decimal: Int64(r.sequence))
        phaseTail.append(",\"cycles\":")
        let tail = phaseTail.bytes
        var at = start, a0 = a
        Self.phaseHeads.withUnsafeBufferPointer { heads in
            for p in 0..<min(r.phaseCount, heads.count) {
                let c = r.phase(p)
                guard c > 0 else { continue }
                encoder.piece(at, rank: Self.sliceRank(c))
                out.append(heads[p])
                appendMicroseconds(a0)
                out.append(",\"dur\":")
                let a1 = nanoseconds(at &+ c)
                appendMicroseconds(a1 &- a0)
                out.append(tail)
                out.append(decimal: c)
                out.append("}}")
                (at, a0) = (at &+ c, a1)
            }
        }
    }

    /// `,\n{"name":"entry","cat":"phase","ph":"X","ts":` for each phase.
    /// (Bytes made once and kept for the run of the program: no reference counted per phase written.)
    private static let phaseHeads = TraceEncoder.phaseNames.map { name in
        let b = TraceBuffer(capacity: 64)
        b.append(",\n{\"name\":\"")
        b.append(name)
        b.append("\",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":")
        let kept = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: b.count)
        _ = kept.initialize(from: b.bytes)
        return UnsafeBufferPointer(kept)
    }
    private let phaseTail = TraceBuffer(capacity: 128)

    /// An exit's slice (`a`: its start in ns). The bytes but its span and
    /// sequence number are the last exit's when it showed the same (`CapturedExit.sameLine`).
    private func exitSlice(_ r: CapturedExit, _ kind: String, _ detail: String, tid: Int64, start: UInt64, _ a: UInt64) {
        encoder.piece(start, rank: Self.sliceRank(r.cycles))
        if r.sameLine(as: lastExit) {
            let kept = lastExitBytes.bytes
            out.append(UnsafeBufferPointer(rebasing: kept[..<lastExitHoles.ts]))
            appendMicroseconds(a)
            out.append(",\"dur\":")
            appendMicroseconds(nanoseconds(start &+ r.cycles) &- a)
            out.append(UnsafeBufferPointer(rebasing: kept[lastExitHoles.ts..<lastExitHoles.seq]))
            out.append(decimal: Int64(r.sequence))
            out.append(UnsafeBufferPointer(rebasing: kept[lastExitHoles.seq...]))
            out.comma = true
            return
        }
        let head = out.count
        out.append(",\n")
        out.beginObject()
        out.key("name")
        out.append(jsonString: kind)
        out.key("cat"); out.append(jsonString: "exit")
        out.key("ph"); out.append(jsonString: "X")
        out.key("ts")
        let ts = out.count
        appendMicroseconds(a)
        out.key("dur"); appendMicroseconds(nanoseconds(start &+ r.cycles) &- a)
        let mid = out.count
        ids(tid: tid)
        out.key("args"); out.beginObject()
        out.key("pc"); out.append(jsonHex: r.pc)
        out.key("seq")
        let seq = out.count
        out.append(decimal: Int64(r.sequence))
        let rest = out.count
        encoder.exitFields(r, kind, detail, phases: false, seq: false)
        out.endObject()
        out.endObject()
        lastExit = r
        lastExitBytes.removeAll()
        for (from, to) in [(head, ts), (mid, seq), (rest, out.count)] {
            lastExitBytes.append(UnsafeBufferPointer(rebasing: out.bytes[from..<to]))
        }
        lastExitHoles = (ts - head, ts - head + seq - mid)
    }

    /// The last exit's slice less its span and sequence number, and where those go.
    private let lastExitBytes = TraceBuffer(capacity: 512)
    private var lastExit = CapturedExit.none, lastExitHoles = (ts: 0, seq: 0)

    /// Ends the IRQ handlers still open (the run stopped in them), in vCPU order.
    func finish(at t: UInt64? = nil) {
        for (v, n) in openIRQs.sorted(by: { $0.key < $1.key }) {
            for _ in 0..<n { handler(begins: false, tid: Int64(v), at: t ?? lastTime) }
        }
        openIRQs = [:]
    }

    /// Same time: an end, then a begin, then slices longest first (so each contains the next), then the rest.
    static func sliceRank(_ cycles: UInt64) -> UInt64 { 2 &+ (UInt64.max / 2 &- min(cycles, UInt64.max / 4)) }

    /// A wait in WFI as a slice, from the wait's start to the wake.
    private func wait(_ e: TraceEvent, _ event: HypervisorEvent, tid: Int64, start: UInt64, cycles: UInt64) {
        begin(name: "WFI", at: start, rank: Self.sliceRank(cycles))
        out.key("cat"); out.append(jsonString: e.name)
        out.key("ph"); out.append(jsonString: "X")
        appendSpan(start, cycles)
        ids(tid: tid)
        out.key("args"); args(e, event)
        out.endObject()
    }

    /// An IRQ handler's begin ("B") or end ("E").
    private func handler(begins: Bool, tid: Int64, at t: UInt64) {
        begin(name: "IRQ", at: t, rank: begins ? 1 : 0)
        out.key("cat"); out.append(jsonString: "irq")
        out.key("ph"); out.append(jsonString: begins ? "B" : "E")
        out.key("ts"); appendMicroseconds(nanoseconds(t))
        ids(tid: tid)
        out.endObject()
    }

    /// A flow event, bound to the slice it comes right after (`rank`: that slice's).
    private func flow(_ id: UInt64, end: Bool, tid: Int64, at t: UInt64, rank: UInt64) {
        begin(name: "IPI", at: t, rank: rank)
        out.key("cat"); out.append(jsonString: "ipi")
        out.key("ph"); out.append(jsonString: end ? "f" : "s")
        out.key("id"); out.append(decimal: id)
        if end { out.key("bp"); out.append(jsonString: "e") }
        out.key("ts"); appendMicroseconds(nanoseconds(t))
        ids(tid: tid)
        out.endObject()
    }

    /// `,\n{"name":"..."`, one event at `time`.
    private func begin(name: UnsafeBufferPointer<UInt8>, at time: UInt64, rank: UInt64) {
        encoder.piece(time, rank: rank)
        out.append(",\n")
        out.beginObject()
        out.key("name")
        out.append(jsonUTF8: name)
    }

    func begin(name: String, at time: UInt64, rank: UInt64) {
        var name = name
        name.withUTF8 { begin(name: $0, at: time, rank: rank) }
    }

    /// `"pid":1,"tid":...`
    func ids(tid: Int64) {
        out.key("pid"); out.append(decimal: ChromeTraceFormatter.pid)
        out.key("tid"); out.append(decimal: tid)
    }

    /// The event's fields as an object, PC first, without an exit's phases (they are slices of their own).
    func args(_ e: TraceEvent, _ event: HypervisorEvent) {
        out.beginObject()
        if let pc = e.pc {
            out.key("pc"); out.append(jsonHex: pc)
        }
        encoder.fields(event, phases: false)
        out.endObject()
    }

    private func instant(_ e: TraceEvent, _ event: HypervisorEvent, tid: Int64, ts: UInt64, name: String? = nil) {
        begin(name: name ?? e.name.description, at: ts, rank: .max)
        out.key("cat"); out.append(jsonString: e.name)
        out.key("ph"); out.append(jsonString: "i")
        out.key("s"); out.append(jsonString: "t")
        out.key("ts"); appendMicroseconds(nanoseconds(ts))
        ids(tid: tid)
        out.key("args"); args(e, event)
        out.endObject()
    }

    private func counter(_ name: String, ts: UInt64, _ values: [(StaticString, Bool)]) {
        begin(name: name, at: ts, rank: .max)
        out.key("ph"); out.append(jsonString: "C")
        out.key("ts"); appendMicroseconds(nanoseconds(ts))
        out.key("pid"); out.append(decimal: ChromeTraceFormatter.pid)
        out.key("args"); out.beginObject()
        for (k, v) in values {
            out.key(k); out.append(decimal: UInt64(v ? 1 : 0))
        }
        out.endObject()
        out.endObject()
    }
}
