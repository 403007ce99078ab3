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
        case .exit(let r): return writeExit(CapturedExit(r)) { (r.kind, r.detail) }
        case .psci(let v, let t, let call, let power): return writePSCI(CapturedPSCI(vcpu: v, time: t, call: -1, power: power)) { call }
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
    func writeExit(_ x: CapturedExit, _ names: () -> (kind: String, detail: String)) {
        exit(x, names, tid: seen(x.time, x.vcpu))
    }

    /// A PSCI call's instant (as `write` writes every event), held back
    /// (`held`): the call comes before the exit that made it, at the exit's
    /// time, but its instant goes after that exit's slice and the phases starting then.
    func writePSCI(_ p: CapturedPSCI, _ call: () -> String) {
        let tid = seen(p.time, p.vcpu)
        writeHeld()
        held = p
        heldTID = tid
        // The string is needed only for a call unlike the last (none is
        // written before it): not kept otherwise (no reference counted).
        if !p.sameLine(as: lastCall) { heldCall = call() }
    }

    /// The PSCI call not yet written. Written before the first piece
    /// written after it that comes no earlier in time order, or before the
    /// pieces are released: what comes between precedes it in time order
    /// anyway, so time order is the same, and the pieces come sorted (no sorting to do).
    private var held: CapturedPSCI?, heldTID: Int64 = 0, heldCall = ""

    /// Before a piece at `time`, `rank`: the held PSCI call if it is not later.
    @inline(__always)
    private func piece(_ time: UInt64, rank: UInt64) {
        if let h = held, time > h.time || (time == h.time && rank == .max) { writeHeld() }
        encoder.piece(time, rank: rank)
    }

    /// Writes the held PSCI call, if any.
    func writeHeld() {
        guard let p = held else { return }
        held = nil
        writePSCINow(p, heldCall, tid: heldTID)
    }

    /// The bytes after a PSCI call's time are the last call's when it was the same.
    private func writePSCINow(_ p: CapturedPSCI, _ call: String, tid: Int64) {
        encoder.piece(p.time, rank: .max)
        out.append(",\n{\"name\":\"psci\",\"cat\":\"psci\",\"ph\":\"i\",\"s\":\"t\",\"ts\":")
        appendMicroseconds(nanoseconds(p.time))
        out.comma = true
        if p.sameLine(as: lastCall) {
            out.reserve(lastCallBytes.count)
            out.end(at: TraceBuffer.put(words: lastCallBytes.words, lastCallBytes.count, at: out.cursor))
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
    private func exit(_ r: CapturedExit, _ names: () -> (kind: String, detail: String), tid: Int64) {
        var start = r.time
        if !waited.isEmpty, let w = waited.removeValue(forKey: r.vcpu), w.start == r.time { start &+= w.cycles }
        let a = nanoseconds(start)
        exitSlice(r, names, tid: tid, start: start, a)
        // The sender's exit starts when it made the IPI pending.
        let sent = unsent.isEmpty ? [] : unsent.filter { $0.time == r.time && $0.target != r.vcpu }
        if !unsent.isEmpty { unsent.removeAll { $0.time == r.time } }
        for s in sent {
            flow(nextFlow, end: false, tid: tid, at: start, rank: Self.sliceRank(r.cycles))
            inbound[s.target, default: []].append(nextFlow)
            nextFlow += 1
        }
        // The phases are most of a Chrome trace: their constant parts go in
        // whole, what they share (tid, the exit's number) made once, written
        // in place (room made once for them all).
        phaseTail.removeAll()
        phaseTail.append(",\"pid\":1,\"tid\":")
        phaseTail.append(decimal: tid)
        phaseTail.append(",\"args\":{\"exit\":")
        phaseTail.append(decimal: Int64(r.sequence))
        phaseTail.append(",\"cycles\":")
        let tail = phaseTail.words, tailCount = phaseTail.count, n = min(r.phaseCount, Self.phaseHeads.count)
        let room = tailCount &+ Self.phaseRoom
        var at = start, a0 = a
        out.reserve(n &* room)
        var o = out.cursor
        for p in 0..<n {
            // (Not `r.phase(p)`: that copies the record's phases for each.)
            let c = switch p {
            case 0: r.phases.0 case 1: r.phases.1 case 2: r.phases.2 case 3: r.phases.3
            case 4: r.phases.4 case 5: r.phases.5 case 6: r.phases.6 default: r.phases.7
            }
            guard c > 0 else { continue }
            if let h = held, at > h.time {
                out.end(at: o)
                writeHeld()
                out.reserve((n &- p) &* room)
                o = out.cursor
            }
            encoder.piece(at, rank: Self.sliceRank(c), start: out.offset(o))
            let head = phaseHeads[p]
            o = TraceBuffer.put(64, head.baseAddress!, head.count, at: o)
            o = TraceBuffer.put(thousandths: a0, at: o)
            let a1 = nanoseconds(at &+ c)
            // The duration and the cycles mostly are this phase's last ones: their bytes copied.
            let kept = phaseKept + p &* 4, slot = phaseSlots + p &* 64
            if kept[1] != 0 && kept[0] == a1 &- a0 {
                o = TraceBuffer.put(32, slot, Int(kept[1]), at: o)
            } else {
                let from = o
                o = TraceBuffer.put(8, durKey, 7, at: o)
                o = TraceBuffer.put(thousandths: a1 &- a0, at: o)
                _ = TraceBuffer.put(32, from, o - from, at: slot.assumingMemoryBound(to: UInt8.self))
                (kept[0], kept[1]) = (a1 &- a0, UInt64(o - from))
            }
            o = TraceBuffer.put(words: tail, tailCount, at: o)
            if kept[3] != 0 && kept[2] == c {
                o = TraceBuffer.put(32, slot + 32, Int(kept[3]), at: o)
            } else {
                let from = o
                o = TraceBuffer.put(decimal: c, at: o)
                o = TraceBuffer.put(8, closeArgs, 2, at: o)
                _ = TraceBuffer.put(32, from, o - from, at: (slot + 32).assumingMemoryBound(to: UInt8.self))
                (kept[2], kept[3]) = (c, UInt64(o - from))
            }
            (at, a0) = (at &+ c, a1)
        }
        out.end(at: o)
    }

    /// A phase's bytes but its tail: head, ts, ",\"dur\":" and its number, cycles and "}}", and 32 to spare (the tail's copy).
    private static let phaseRoom = 64 + 24 + 32 + 32 + 32

    /// By phase: its last duration in ns and the length of its bytes
    /// (`,"dur":1.057`: 0 when none yet), its last cycles and the length of
    /// theirs (`2114}}`); the bytes, 32 each, in `phaseSlots`.
    private let phaseKept: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 8 * 4)
        p.initialize(repeating: 0, count: 8 * 4)
        return p
    }()
    private let phaseSlots: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 8 * 64, alignment: 8)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 8 * 64)
        return p
    }()

    deinit {
        phaseKept.deallocate()
        phaseSlots.deallocate()
    }

    /// `,\n{"name":"entry","cat":"phase","ph":"X","ts":` for each phase.
    /// (Bytes made once and kept for the run of the program, readable 64 at a
    /// time: no reference counted per phase written, copied in a few stores.)
    private static let phaseHeads = TraceEncoder.phaseNames.map { name in
        words(",\n{\"name\":\"" + String(decoding: name, as: UTF8.self) + "\",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":")
    }
    /// (Kept in the instance: a static is checked for being made on every use.)
    private let phaseHeads = ChromeTraceFormatter.phaseHeads
    private let durKey = ChromeTraceFormatter.words(",\"dur\":").baseAddress!, closeArgs = ChromeTraceFormatter.words("}}").baseAddress!

    /// `s`'s UTF-8 bytes, kept for good and readable 64 at a time.
    private static func words(_ s: String) -> UnsafeBufferPointer<UInt8> {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= 64)
        let kept = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64)
        kept.initialize(repeating: 0)
        _ = kept.initialize(from: utf8)
        return UnsafeBufferPointer(rebasing: kept[..<utf8.count])
    }
    private let phaseTail = TraceBuffer(capacity: 128)

    /// An exit's slice (`a`: its start in ns). The bytes but its span and
    /// sequence number are the last exit's when it showed the same (`CapturedExit.sameLine`).
    private func exitSlice(_ r: CapturedExit, _ names: () -> (kind: String, detail: String), tid: Int64, start: UInt64, _ a: UInt64) {
        piece(start, rank: Self.sliceRank(r.cycles))
        if r.sameLine(as: lastExit) && r.sequence >= 0 {
            // Written in place: the kept bytes 8 at a time, room made once.
            let kept = lastExitBytes.words, n = lastExitBytes.count, holes = lastExitHoles
            out.reserve(n &+ 128)
            var o = TraceBuffer.put(words: kept, holes.ts, at: out.cursor)
            o = TraceBuffer.put(thousandths: a, at: o)
            o = TraceBuffer.put(8, durKey, 7, at: o)
            o = TraceBuffer.put(thousandths: nanoseconds(start &+ r.cycles) &- a, at: o)
            o = TraceBuffer.put(words: kept + holes.ts, holes.seq &- holes.ts, at: o)
            o = TraceBuffer.put(decimal: UInt64(r.sequence), at: o)
            o = TraceBuffer.put(words: kept + holes.seq, n &- holes.seq, at: o)
            out.end(at: o)
            out.comma = true
            return
        }
        let (kind, detail) = names()
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
        piece(time, rank: rank)
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
