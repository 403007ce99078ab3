import Foundation
import Hypervisor

/// `--trace-format`: one line of text per event, one JSON object per line,
/// or Chrome trace-event JSON for Perfetto.
public enum TraceFormat: String, CaseIterable, Sendable {
    case text, jsonl, perfetto
}

public struct TraceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TraceCategory {
    /// `--trace-events exits,stage2,...`: the classes to trace (notes and the final stop are always traced).
    public static func parseList(_ s: String) throws -> Set<TraceCategory> {
        var set = Set<TraceCategory>()
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            guard let c = TraceCategory(rawValue: name) else {
                throw TraceError("unknown trace event '\(name)' in --trace-events: use a comma-separated list of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            set.insert(c)
        }
        return set
    }
}

/// Writes the events of a run to a sink in one format, keeping only the
/// selected classes. Output is buffered and depends only on the events, so
/// the same run gives the same bytes.
public final class TraceWriter: EventRecorder {
    public let format: TraceFormat
    public let categories: Set<TraceCategory>
    let classes: TraceClasses
    let sink: (UnsafeBufferPointer<UInt8>) throws -> Void
    let close: () -> Void
    /// Holds the buffered bytes (`encoder.out`).
    let encoder = TraceEncoder()
    let chrome: ChromeTraceFormatter?
    /// Text and Chrome JSON are written in time order (jsonl as the events come).
    let order: TimeOrder?
    /// What is released in time order, for the sink.
    private let ready = TraceBuffer()
    public private(set) var finished = false
    public private(set) var eventsWritten = 0
    /// `--trace-limit`: after this many events `onLimit` runs (the run is stopped there).
    public var limit: Int?
    public var onLimit: (() -> Void)?
    /// The first failed write (disk full...): the trace stops there. Read after `finish`.
    public private(set) var writeError: String?

    /// A writer handing its output to `sink` as text, a whole number of events at a time.
    public convenience init(format: TraceFormat, categories: Set<TraceCategory> = Set(TraceCategory.allCases),
                            profile: String = "", mode: String = "", sink: @escaping (String) throws -> Void, close: @escaping () -> Void = {}) {
        self.init(format: format, categories: categories, profile: profile, mode: mode,
                  bytes: { try sink(String(decoding: $0, as: UTF8.self)) }, close: close)
    }

    init(format: TraceFormat, categories: Set<TraceCategory>, profile: String, mode: String,
         bytes sink: @escaping (UnsafeBufferPointer<UInt8>) throws -> Void, close: @escaping () -> Void) {
        self.format = format
        self.categories = categories
        classes = TraceClasses(categories)
        exitsTraced = !TraceEvent.exitClasses(ipa: nil).isDisjoint(with: classes)
        stage2ExitsTraced = !TraceEvent.exitClasses(ipa: 0).isDisjoint(with: classes)
        psciTraced = classes.contains(.psci)
        self.sink = sink
        self.close = close
        batch = batches.take()
        chrome = format == .perfetto ? ChromeTraceFormatter(encoder, handlerSlices: categories.isSuperset(of: [.irq, .daif])) : nil
        if let chrome { encoder.out.append(string: chrome.header(profile: profile, mode: mode)) }
        order = format == .jsonl ? nil : TimeOrder()
    }

    /// A writer to the file at `path` (created or truncated now, so a bad path fails before the run).
    public convenience init(path: String, format: TraceFormat, categories: Set<TraceCategory> = Set(TraceCategory.allCases),
                            profile: String = "", mode: String = "") throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw TraceError("cannot write the trace file '\(path)': \(String(cString: strerror(errno)))")
        }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.init(format: format, categories: categories, profile: profile, mode: mode,
                  bytes: { try h.write(contentsOf: UnsafeRawBufferPointer($0)) }, close: { try? h.close() })
    }

    /// Traces the events `sink` reports (exits and PSCI calls as plain values: `EventRecorder`).
    public func observe(_ sink: EventSink) {
        sink.observe(self)
    }

    public func recordExit(sequence: Int, vcpu: Int, time: UInt64, pc: UInt64, esr: UInt64?, kind: ExitKind, detail: String,
                           phases: UnsafeBufferPointer<UInt64>, ipa: UInt64?, returnPC: UInt64?) {
        guard !finished, admit(ipa == nil ? exitsTraced : stage2ExitsTraced) else { return }
        var numbers: (kind: Int32, detail: Int32)?
        if let k = capture.number(kind: kind), let d = capture.number(detail: detail) {
            numbers = (k, d)
        } else {
            texts += [kind.name, detail]
        }
        put(CapturedExit(sequence: sequence, vcpu: vcpu, time: time, pc: pc, esr: esr, ipa: ipa, returnPC: returnPC,
                         kind: numbers?.kind ?? -1, detail: numbers?.detail ?? -1, phases: phases),
            texts: numbers == nil ? texts.count - 2 : -1)
    }

    public func recordPSCI(vcpu: Int, time: UInt64, call: String, power: PowerChange?) {
        guard !finished, admit(psciTraced) else { return }
        if let n = capture.number(call: call) {
            put(CapturedPSCI(vcpu: vcpu, time: time, call: n, power: power))
        } else {
            texts.append(call)
            put(CapturedPSCI(vcpu: vcpu, time: time, call: -1, power: power), texts: texts.count - 1)
        }
    }

    public func record(_ event: HypervisorEvent) {
        guard !finished else { return }
        switch event {
        case .exit(let r):
            guard admit(TraceEvent.exitClasses(ipa: r.ipa)) else { return }
            var x = CapturedExit(r)
            if let k = capture.number(kind: r.kind), let d = capture.number(detail: r.detail) {
                (x.kind, x.detail) = (k, d)
                put(x)
            } else {
                texts += [r.kind, r.detail]
                put(x, texts: texts.count - 2)
            }
        case .psci(let v, let t, let call, let power):
            recordPSCI(vcpu: v, time: t, call: call, power: power)
        case .stop:
            eventsWritten += 1   // past the limit too
            keep(event)
        default:
            guard admit(TraceEvent(event).classes) else { return }
            keep(event)
        }
    }

    /// Whether an event of these classes (other than the stop) is traced: counted if so.
    @inline(__always)
    private func admit(_ classes: TraceClasses) -> Bool {
        admit(classes.isEmpty || !classes.isDisjoint(with: self.classes))
    }

    /// Whether exits (with an IPA: stage-2 exits too) and PSCI calls are traced: known from the start, not looked up per event.
    private let exitsTraced: Bool, stage2ExitsTraced: Bool, psciTraced: Bool

    /// Whether an event (other than the stop) is traced, given that its classes are (`traced`): counted if so.
    @inline(__always)
    private func admit(_ traced: Bool) -> Bool {
        guard traced else { return false }
        if let limit, eventsWritten >= limit {
            onLimit?()
            onLimit = nil
            return false
        }
        eventsWritten += 1
        return true
    }

    /// An event handed over as it is.
    private func keep(_ event: HypervisorEvent) {
        others.append(event)   // before `put`, which may hand the batch over
        batch.storeBytes(of: CapturedHeader(what: .other, index: Int32(others.count - 1)), toByteOffset: batchBytes, as: CapturedHeader.self)
        commit(8)
    }

    /// The batch being filled (`CapturedHeader`): events the run has recorded, not yet
    /// handed to the formatting thread, in a buffer made once and reused (`batches`).
    private var batch: UnsafeMutableRawPointer
    private var batchBytes = 0, batchEvents = 0
    /// What the batch's events name beside their numbers: events not captured as numbers, strings not numbered.
    private var others: [HypervisorEvent] = []
    private var texts: [String] = []
    private var capture = EventCapture()
    /// The captured events' strings by number (the formatting thread's).
    private var strings: [String] = []
    static let batchSize = 2048
    /// Batch buffers free for the run to fill (the formatting thread gives them back).
    private let batches = BufferPool(bytes: TraceWriter.batchSize * CapturedHeader.maxSize)
    /// Formats and writes beside the run, batch by batch in order: the bytes are those of formatting each event as it came.
    private let formatting = SerialWorker()

    /// The record just written (`size` bytes) joins the batch; a full batch is handed over.
    @inline(__always)
    private func commit(_ size: Int) {
        batchBytes &+= size
        batchEvents &+= 1
        if batchEvents == TraceWriter.batchSize { handOff() }
    }

    @inline(__always)
    private func put(_ x: CapturedExit, texts: Int = -1) {
        batch.storeBytes(of: CapturedHeader(what: .exit, index: Int32(texts)), toByteOffset: batchBytes, as: CapturedHeader.self)
        batch.storeBytes(of: x, toByteOffset: batchBytes + 8, as: CapturedExit.self)
        commit(CapturedHeader.exitSize)
    }

    @inline(__always)
    private func put(_ p: CapturedPSCI, texts: Int = -1) {
        batch.storeBytes(of: CapturedHeader(what: .psci, index: Int32(texts)), toByteOffset: batchBytes, as: CapturedHeader.self)
        batch.storeBytes(of: p, toByteOffset: batchBytes + 8, as: CapturedPSCI.self)
        commit(CapturedHeader.psciSize)
    }

    private func handOff() {
        let events = UnsafeRawBufferPointer(start: batch, count: batchBytes), others = self.others, texts = self.texts, fresh = capture.fresh
        batch = batches.take()
        (batchBytes, batchEvents) = (0, 0)
        self.others = []
        self.texts = []
        capture.fresh = []
        formatting.async { [self] in
            strings += fresh
            batchTexts = texts
            var at = 0
            while at < events.count {
                let h = events.load(fromByteOffset: at, as: CapturedHeader.self), i = Int(h.index)
                // (Read in place, not copied out.)
                let record = events.baseAddress! + at + 8
                switch h.what {
                case .exit: encodeExit(record.assumingMemoryBound(to: CapturedExit.self).pointee, texts: i)
                case .psci: encodePSCI(record.assumingMemoryBound(to: CapturedPSCI.self).pointee, texts: i)
                case .other: encode(others[i])
                }
                at += h.size
            }
            batches.give(UnsafeMutableRawPointer(mutating: events.baseAddress!))
        }
    }

    /// The `texts` of the batch being formatted (the formatting thread's).
    private var batchTexts: [String] = []

    /// Writes one event in the format (on the formatting thread).
    private func encode(_ event: HypervisorEvent) {
        let e = TraceEvent(event)
        switch format {
        case .text: encoder.textLine(e, event)
        case .jsonl: encoder.jsonLine(e, event)
        case .perfetto: chrome!.write(e, event)
        }
        if let order, let v = e.vcpu {
            switch event {
            case .hardware(_, _, .virtualInterrupt): break
            default: order.note(vcpu: v, time: e.time)
            }
        }
        flushWhenFull()
    }

    /// An exit's bytes, in the format. Its kind and detail (numbered, or the
    /// batch's `texts` from `i`) are looked up only for an exit unlike the
    /// last: no reference counted otherwise. (In line in the batch's loop, as `encodePSCI`.)
    @inline(__always)
    private func encodeExit(_ x: CapturedExit, texts i: Int) {
        // (Not retaining the writer, which outlives the call: a retain per exit otherwise.)
        let names = { [unowned(unsafe) self] in
            i < 0 ? (strings[Int(x.kind)], strings[Int(x.detail)]) : (batchTexts[i], batchTexts[i + 1])
        }
        switch format {
        case .text: encoder.textExit(x, names)
        case .jsonl: encoder.jsonExit(x, names)
        case .perfetto: chrome!.writeExit(x, names)
        }
        order?.note(vcpu: x.vcpu, time: x.time)
        flushWhenFull()
    }

    /// A PSCI call's bytes, in the format (its call looked up as an exit's names).
    @inline(__always)
    private func encodePSCI(_ p: CapturedPSCI, texts i: Int) {
        let call = { [unowned(unsafe) self] in i < 0 ? strings[Int(p.call)] : batchTexts[i] }
        switch format {
        case .text: encoder.textPSCI(p, call)
        case .jsonl: encoder.jsonPSCI(p, call)
        case .perfetto: chrome!.writePSCI(p, call)
        }
        order?.note(vcpu: p.vcpu, time: p.time)
        if let power = p.power { order?.power(power, at: p.time) }
        flushWhenFull()
    }

    /// Sorting again what stays staged: only once as much again has come (set by `flush`).
    private var flushAt = 1 << 16

    @inline(__always)
    private func flushWhenFull() {
        if encoder.out.count >= flushAt { flush() }
    }

    /// Hands what is ready to the sink: in time order, what no later event can precede (`all`: everything).
    func flush(all: Bool = false) {
        chrome?.writeHeld()
        if let order {
            let everything = all || order.keptBytes >= TimeOrder.maxKeptBytes
            order.release(encoder, before: everything ? nil : order.horizon, via: ready, write: write)
        } else {
            write(encoder.out)
        }
        flushAt = max(1 << 16, 2 * (order?.keptBytes ?? 0))
    }

    private func write(_ b: TraceBuffer) {
        write(b.bytes)
        b.removeAll()
    }

    private func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count > 0, writeError == nil else { return }
        do { try sink(bytes) } catch { writeError = "\(error.localizedDescription)" }
    }

    /// Completes the file (the Chrome JSON's closing brackets) and closes it.
    public func finish() {
        guard !finished else { return }
        handOff()
        formatting.wait()
        flush(all: true)
        if let chrome {
            chrome.finish()
            flush(all: true)
            ready.append(string: chrome.footer)
            write(ready)
        }
        finished = true
        close()
    }

    deinit { batches.give(batch) }
}

/// Buffers of `bytes` bytes, made as needed and kept for reuse; taken and
/// given back from any thread.
final class BufferPool: @unchecked Sendable {
    private let bytes: Int
    private var free: [UnsafeMutableRawPointer] = []
    private let lock = NSLock()

    init(bytes: Int) { self.bytes = bytes }

    deinit { for b in free { b.deallocate() } }

    func take() -> UnsafeMutableRawPointer {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? .allocate(byteCount: bytes, alignment: 16)
    }

    func give(_ b: UnsafeMutableRawPointer) {
        lock.lock()
        free.append(b)
        lock.unlock()
    }
}

/// A serial queue beside the run: work runs in the order given; the giver
/// waits only while `depth` pieces of work are already queued (memory stays bounded).
final class SerialWorker: @unchecked Sendable {
    private let queue = DispatchQueue(label: "el2emu.trace")
    private let slots: DispatchSemaphore

    init(depth: Int = 4) { slots = DispatchSemaphore(value: depth) }

    func async(_ work: @escaping () -> Void) {
        slots.wait()
        let w = Work(run: work)
        queue.async { w.run(); self.slots.signal() }
    }

    /// Returns once all work given so far has run.
    func wait() { queue.sync {} }

    /// Work is handed over, never shared: the giver keeps no reference to what it captures.
    private struct Work: @unchecked Sendable { let run: () -> Void }
}
