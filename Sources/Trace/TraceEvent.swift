import AArch64
import CostModel
import EL2
import Foundation
import Hypervisor

/// The event classes `--trace-events` selects.
public enum TraceCategory: String, CaseIterable, Sendable {
    case exits, stage2, daif, irq, wfi, psci, mmio
}

/// A set of `TraceCategory`, one bit each: tested on every event.
struct TraceClasses: OptionSet {
    let rawValue: UInt8
    static let exits = TraceClasses(.exits), stage2 = TraceClasses(.stage2), daif = TraceClasses(.daif), irq = TraceClasses(.irq)
    static let wfi = TraceClasses(.wfi), psci = TraceClasses(.psci), mmio = TraceClasses(.mmio)

    init(rawValue: UInt8) { self.rawValue = rawValue }
    init(_ c: TraceCategory) { rawValue = 1 << UInt8(TraceCategory.allCases.firstIndex(of: c)!) }
    init(_ set: Set<TraceCategory>) { self = set.reduce([]) { $0.union(TraceClasses($1)) } }
}

/// One hypervisor event in the form every trace format shares: virtual
/// time, vCPU, the event's name, its classes and PC (the event itself is
/// passed beside it, not copied into it). The formats write the
/// rest (`TraceEncoder`): text a line of decoded fields, jsonl the same
/// fields by stable name (docs/TRACE-FORMATS.md), Chrome trace events those
/// plus the exit phases.
struct TraceEvent {
    let time: UInt64
    /// nil for events of the whole VM (the final stop).
    let vcpu: Int?
    /// "exit", "daif", "exception", "virq", "wfi-idle", "el2-exit", "wfi-block", "psci", "mmio", "note", "stop".
    let name: StaticString
    /// The `--trace-events` classes this event belongs to; empty: always traced.
    let classes: TraceClasses
    let pc: UInt64?

    init(_ event: HypervisorEvent) {
        switch event {
        case .exit(let r):
            (time, vcpu, name, pc) = (r.time, r.vcpu, "exit", r.pc)
            classes = TraceEvent.exitClasses(ipa: r.ipa)
        case .hardware(let v, let t, let ev):
            (time, vcpu) = (t, v)
            switch ev {
            case .daif(let p, _, _, _): (name, classes, pc) = ("daif", .daif, p)
            case .guestException(let p, _, _, _): (name, classes, pc) = ("exception", .irq, p)
            case .virtualInterrupt: (name, classes, pc) = ("virq", .irq, nil)
            case .idle(let p, _, _): (name, classes, pc) = ("wfi-idle", .wfi, p)
            case .guestEL2Return(let x): (name, classes, pc) = ("el2-exit", .exits, x.elr)
            }
        case .blocked(let v, let t, let p, _, _): (time, vcpu, name, classes, pc) = (t, v, "wfi-block", .wfi, p)
        case .psci(let v, let t, _, _): (time, vcpu, name, classes, pc) = (t, v, "psci", .psci, nil)
        case .mmio(let v, let t, _, _, _, _, _): (time, vcpu, name, classes, pc) = (t, v, "mmio", .mmio, nil)
        case .note(let v, let t, _): (time, vcpu, name, classes, pc) = (t, v, "note", [], nil)
        case .stop(let t, _): (time, vcpu, name, classes, pc) = (t, nil, "stop", [], nil)
        }
    }

    /// An exit is a stage-2 event too when it names the faulting IPA.
    @inline(__always)
    static func exitClasses(ipa: UInt64?) -> TraceClasses { ipa == nil ? .exits : [.exits, .stage2] }
}

/// Writes events as trace bytes into `out`, in any format; keeps what
/// repeats from exit to exit (an ESR's decoding) so it is made once.
final class TraceEncoder {
    let out = TraceBuffer()
    /// Where each event starts in `out`, for formats written in time order (`TimeOrder`).
    var pieces: [TracePiece] = []
    /// No piece is earlier than the one before it: `TimeOrder` then only cuts them.
    var piecesInOrder = true
    /// `SyndromeDecoder.summary`, and `SyndromeDecoder.fields` as JSON bytes, by ESR.
    private var summaries: [UInt64: String] = [:]
    private var syndromes: [UInt64: [UInt8]] = [:]
    /// An exit's summary with its IPA: built here, not in a new string.
    private let scratch = TraceBuffer(capacity: 256)
    /// The phases' names, as UTF-8.
    static let phaseNames = Phase.allCases.map { Array($0.description.utf8) }

    func summary(_ esr: ExceptionSyndrome) -> String {
        if let s = summaries[esr.raw] { return s }
        if summaries.count >= 4096 { summaries.removeAll() }
        let s = SyndromeDecoder.summary(esr)
        summaries[esr.raw] = s
        return s
    }

    func appendSyndrome(_ esr: ExceptionSyndrome) {
        if let s = syndromes[esr.raw] {
            out.append(s)
            out.comma = true
            return
        }
        if syndromes.count >= 4096 { syndromes.removeAll() }
        let s = Array(JSONValue.object(SyndromeDecoder.fields(esr)).serialized.utf8)
        syndromes[esr.raw] = s
        out.append(s)
        out.comma = true
    }

    /// An exit's syndrome summary ("HVC64 #0x0"; the kind without one), with
    /// " ipa=0x..." for stage-2 aborts, in `scratch`.
    private func exitSummary(_ r: CapturedExit, _ kind: String) {
        scratch.removeAll()
        scratch.append(string: r.esr.map { summary(ExceptionSyndrome(raw: $0)) } ?? kind)
        if let ipa = r.ipa {
            scratch.append(" ipa=")
            scratch.append(hex: ipa)
        }
    }

    /// The next bytes written are one trace event, at `time`.
    @inline(__always)
    func piece(_ time: UInt64, rank: UInt64 = 0) {
        piece(time, rank: rank, start: out.count)
    }

    /// A piece starting at `start` in `out` (bytes being written in place).
    /// One at the last piece's time and rank extends that piece: sorted, nothing comes between them.
    @inline(__always)
    func piece(_ time: UInt64, rank: UInt64, start: Int) {
        if let last = pieces.last {
            if last.time == time && last.rank == rank { return }
            if (last.time, last.rank) > (time, rank) { piecesInOrder = false }
        }
        pieces.append(TracePiece(time: time, rank: rank, start: start))
    }

    // MARK: Text

    /// A text line's time column, right-aligned in 12, starting a piece at `time`.
    @inline(__always)
    func textTime(_ time: UInt64) {
        piece(time)
        guard time == lastTime else { return textTimeAnew(time) }
        // Events come in twos and threes at one time: its column's bytes again.
        out.reserve(16)
        let p = UnsafeMutableRawPointer(out.cursor)
        p.storeBytes(of: lastTimeBytes.0, as: UInt64.self)
        p.storeBytes(of: lastTimeBytes.1, toByteOffset: 8, as: UInt32.self)
        out.end(at: out.cursor + 12)
    }

    private func textTimeAnew(_ time: UInt64) {
        out.append(decimal12: time)
        guard time < 1_000_000_000_000 else { return }   // wider than 12
        let p = UnsafeRawPointer(out.cursor - 12)
        lastTime = time
        lastTimeBytes = (p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    /// The last time column of 12 written, and its bytes (at first 0's: "           0").
    private var lastTime: UInt64 = 0, lastTimeBytes: (UInt64, UInt32) = (0x2020_2020_2020_2020, 0x3020_2020)

    /// An exit's text line (as `textLine` writes every event): the words
    /// after the time are those of the last exit when it showed the same.
    @inline(__always)
    func textExit(_ x: CapturedExit, _ names: () -> (kind: String, detail: String)) {
        textTime(x.time)
        if x.sameLine(as: lastExit) { return out.append(lastExitBytes.bytes) }
        let (kind, detail) = names()
        textExitAnew(x, kind, detail)
    }

    private func textExitAnew(_ x: CapturedExit, _ kind: String, _ detail: String) {
        let start = out.count
        out.append(" cpu")
        out.append(decimal: Int64(x.vcpu))
        out.append(" exit      pc=")
        out.append(hex: x.pc)
        out.append(" ")
        exitText(x, kind, detail)
        out.append("\n")
        keepExit(x, from: start, hole: out.count)
    }

    /// A PSCI call's text line (as `textLine` writes every event).
    @inline(__always)
    func textPSCI(_ p: CapturedPSCI, _ call: () -> String) {
        textTime(p.time)
        if p.sameLine(as: lastCall) { return out.append(lastCallBytes.bytes) }
        textPSCIAnew(p, call())
    }

    private func textPSCIAnew(_ p: CapturedPSCI, _ call: String) {
        let start = out.count
        out.append(" cpu")
        out.append(decimal: Int64(p.vcpu))
        out.append(" psci      ")
        out.append(string: call)
        out.append("\n")
        keepCall(p, from: start)
    }

    /// What the last exit wrote after its time, its sequence number left out
    /// at `lastExitHole`; the same for PSCI calls: the next writes it again
    /// if it would write the same (`CapturedExit.sameLine`).
    private let lastExitBytes = TraceBuffer(capacity: 512), lastCallBytes = TraceBuffer(capacity: 256)
    private var lastExit = CapturedExit.none, lastExitHole = 0, lastCall = CapturedPSCI.none

    private func keepExit(_ x: CapturedExit, from start: Int, hole: Int, resume: Int? = nil) {
        lastExit = x
        lastExitHole = hole - start
        lastExitBytes.removeAll()
        lastExitBytes.append(UnsafeBufferPointer(rebasing: out.bytes[start..<hole]))
        if let resume { lastExitBytes.append(UnsafeBufferPointer(rebasing: out.bytes[resume...])) }
    }

    private func keepCall(_ p: CapturedPSCI, from start: Int) {
        lastCall = p
        lastCallBytes.removeAll()
        lastCallBytes.append(UnsafeBufferPointer(rebasing: out.bytes[start...]))
    }

    /// An exit's text: the kind and what the handler did (as the ledger names
    /// it), then the decoded syndrome where the handler's words do not already
    /// say it, where the guest resumes, and the cycles by phase.
    private func exitText(_ r: CapturedExit, _ kind: String, _ detail: String) {
        let start = out.count
        if let m = lastSaid, m.esr == r.esr, m.ipa == r.ipa, m.kind == kind, m.detail == detail {
            out.append(m.bytes)
        } else {
            said(r, kind, detail)
            lastSaid = (kind, detail, r.esr, r.ipa, Array(out.bytes[start...]))
        }
        if let ret = r.returnPC {
            out.append(" -> ")
            out.append(hex: ret)
        }
        out.append(" cycles=")
        out.append(decimal: r.cycles)
        out.append(" [")
        var first = true
        for (p, name) in Self.phaseNames.enumerated() {
            let c = r.phase(p)
            guard c > 0 else { continue }
            if !first { out.append(" ") }
            first = false
            out.append(name)
            out.append("=")
            out.append(decimal: c)
        }
        out.append("]")
    }

    /// The last exit's words (`said`): exits in a row mostly repeat them.
    private var lastSaid: (kind: String, detail: String, esr: UInt64?, ipa: UInt64?, bytes: [UInt8])?

    /// An exit's kind, the handler's words and the decoded syndrome where
    /// those words do not already say it.
    private func said(_ r: CapturedExit, _ kind: String, _ detail: String) {
        exitSummary(r, kind)
        let start = out.count
        if detail.hasPrefix(kind) {
            out.append(string: detail)
        } else if detail.isEmpty {
            out.append(string: kind)
        } else {
            out.append(string: kind)
            out.append(" ")
            out.append(string: detail)
        }
        // The summary less "KIND ", if it starts so; nothing if it is just the kind.
        let summary = scratch.bytes
        var kind = kind
        let decoded = kind.withUTF8 { k -> Slice<UnsafeBufferPointer<UInt8>> in
            if summary.count > k.count, summary[k.count] == 0x20, summary[..<k.count].elementsEqual(k) { return summary[(k.count + 1)...] }
            return summary.elementsEqual(k) ? summary[summary.endIndex...] : summary[...]
        }
        if !decoded.isEmpty && !saidContains(from: start, decoded) {
            out.append(" (")
            out.append(summary)
            out.append(")")
        }
    }

    /// Does the text written from `start` contain `part` (ASCII)? Compared
    /// byte by byte when the text is ASCII too; else as `String.contains`.
    private func saidContains(from start: Int, _ part: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let said = out.bytes[start...]
        guard said.allSatisfy({ $0 < 0x80 }) else {
            return String(decoding: said, as: UTF8.self).contains(String(decoding: part, as: UTF8.self))
        }
        guard said.count >= part.count, let first = part.first else { return part.isEmpty }
        var i = said.startIndex
        let last = said.endIndex - part.count
        while i <= last {
            if said[i] == first && said[i..<(i + part.count)].elementsEqual(part) { return true }
            i += 1
        }
        return false
    }

    // MARK: JSON

    /// The jsonl object: the common keys first, then the event's own.
    func jsonLine(_ e: TraceEvent, _ event: HypervisorEvent) {
        switch event {
        case .exit(let r): return jsonExit(CapturedExit(r)) { (r.kind, r.detail) }
        case .psci(let v, let t, let call, let power): return jsonPSCI(CapturedPSCI(vcpu: v, time: t, call: -1, power: power)) { call }
        default: break
        }
        out.beginObject()
        out.key("t")
        out.append(decimal: e.time)
        out.key("vcpu")
        if let v = e.vcpu { out.append(decimal: Int64(v)) } else { out.append("null") }
        out.key("event")
        out.append(jsonString: e.name)
        if let pc = e.pc {
            out.key("pc")
            out.append(jsonHex: pc)
        }
        fields(event, phases: true)
        out.endObject()
        out.append("\n")
    }

    /// The event's own fields by stable name, as keys of the open object
    /// (`phases`: an exit's cycles by phase too).
    func fields(_ event: HypervisorEvent, phases: Bool) {
        switch event {
        case .exit(let r):
            exitFields(CapturedExit(r), r.kind, r.detail, phases: phases)
        case .hardware(_, _, let ev):
            switch ev {
            case .daif(_, let old, let new, let cause):
                string("old", old.description)
                string("new", new.description)
                string("cause", cause)
            case .guestException(_, let vector, let kind, let esr):
                string("kind", kind)
                out.key("vector")
                out.append(jsonHex: vector)
                if let esr {
                    out.key("esr")
                    out.append(jsonHex: esr.raw)
                    out.key("syndrome")
                    appendSyndrome(esr)
                }
            case .virtualInterrupt(let intid, let pending):
                out.key("intid")
                out.append(decimal: Int64(intid))
                out.key("pending")
                out.append(json: pending)
            case .idle(_, let cycles, let woken):
                out.key("cycles")
                out.append(decimal: cycles)
                string("woken_by", woken)
            case .guestEL2Return(let x):
                guestEL2ExitFields(x)   // GuestEL2ExitTrace.swift
            }
        case .blocked(_, _, _, let cycles, let woken):
            out.key("cycles")
            out.append(decimal: cycles)
            string("woken_by", woken)
        case .psci(_, _, let call, _):
            string("call", call)   // jsonPSCI writes the object; Chrome's args
        case .mmio(_, _, let address, let size, let isWrite, let value, let device):
            out.key("access")
            out.append(jsonString: isWrite ? "write" : "read")
            string("device", device)
            out.key("address")
            out.append(jsonHex: address)
            out.key("size")
            out.append(decimal: Int64(size))
            out.key("value")
            out.append(jsonHex: value)
        case .note(_, _, let s):
            string("message", s)
        case .stop(_, let reason):
            string("reason", reason.description)
            out.key("status")
            out.append(decimal: Int64(reason.exitStatus))
            out.key("error")
            if case .error(let m) = reason { out.append(jsonString: m) } else { out.append("null") }
        }
    }

    /// An exit's jsonl object (as `jsonLine` writes every event): the bytes
    /// but the time and sequence number are those of the last exit when it showed the same.
    func jsonExit(_ x: CapturedExit, _ names: () -> (kind: String, detail: String)) {
        out.beginObject()
        out.key("t")
        out.append(decimal: x.time)
        if x.sameLine(as: lastExit) {
            let kept = lastExitBytes.bytes
            out.append(UnsafeBufferPointer(rebasing: kept[..<lastExitHole]))
            out.append(decimal: Int64(x.sequence))
            out.append(UnsafeBufferPointer(rebasing: kept[lastExitHole...]))
            out.comma = true
            return
        }
        let start = out.count
        out.key("vcpu")
        out.append(decimal: Int64(x.vcpu))
        out.key("event")
        out.append(jsonString: "exit")
        out.key("pc")
        out.append(jsonHex: x.pc)
        out.key("seq")
        let seq = out.count
        out.append(decimal: Int64(x.sequence))
        let rest = out.count
        let (kind, detail) = names()
        exitFields(x, kind, detail, phases: true, seq: false)
        out.endObject()
        out.append("\n")
        keepExit(x, from: start, hole: seq, resume: rest)
    }

    /// A PSCI call's jsonl object (as `jsonLine` writes every event).
    func jsonPSCI(_ p: CapturedPSCI, _ call: () -> String) {
        out.beginObject()
        out.key("t")
        out.append(decimal: p.time)
        if p.sameLine(as: lastCall) {
            out.append(lastCallBytes.bytes)
            out.comma = true
            return
        }
        let start = out.count
        out.key("vcpu")
        out.append(decimal: Int64(p.vcpu))
        out.key("event")
        out.append(jsonString: "psci")
        string("call", call())
        out.endObject()
        out.append("\n")
        keepCall(p, from: start)
    }

    /// An exit's fields (`fields`), from its sequence number on (`seq`) or after it.
    func exitFields(_ r: CapturedExit, _ kind: String, _ detail: String, phases: Bool, seq: Bool = true) {
        if seq {
            out.key("seq")
            out.append(decimal: Int64(r.sequence))
        }
        out.key("kind")
        out.append(jsonString: kind)
        if let esr = r.esr.map(ExceptionSyndrome.init(raw:)) {
            out.key("esr")
            out.append(jsonHex: esr.raw)
            out.key("syndrome")
            appendSyndrome(esr)
        }
        if let ipa = r.ipa {
            out.key("ipa")
            out.append(jsonHex: ipa)
        }
        exitSummary(r, kind)
        out.key("summary")
        out.append(jsonUTF8: scratch.bytes)
        out.key("detail")
        out.append(jsonString: detail)
        out.key("return_pc")
        if let ret = r.returnPC { out.append(jsonHex: ret) } else { out.append("null") }
        out.key("cycles")
        out.append(decimal: r.cycles)
        guard phases else { return }
        out.key("phases")
        out.beginObject()
        for (p, name) in Self.phaseNames.enumerated() {
            out.key(name)
            out.append(decimal: r.phase(p))
        }
        out.endObject()
    }

    private func string(_ key: StaticString, _ value: String) {
        out.key(key)
        out.append(jsonString: value)
    }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
