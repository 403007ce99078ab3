import AArch64
import EL2
import Hypervisor

/// The event classes `--trace-events` selects.
public enum TraceCategory: String, CaseIterable, Sendable {
    case exits, stage2, daif, irq, wfi, psci, mmio
}

/// One hypervisor event in the form every trace format shares: virtual
/// time, vCPU, the event's name, PC, and its decoded fields. Text and jsonl
/// are two spellings of this; Chrome trace events add the exit phases.
public struct TraceEvent {
    public var time: UInt64
    /// nil for events of the whole VM (the final stop).
    public var vcpu: Int?
    /// "exit", "daif", "exception", "virq", "wfi-idle", "wfi-block", "psci", "mmio", "note", "stop".
    public var name: String
    /// The `--trace-events` classes this event belongs to; empty: always traced.
    public var categories: Set<TraceCategory>
    public var pc: UInt64?
    /// The decoded fields, as the text line shows them.
    public var text: String
    /// The same fields by stable name, for jsonl (docs/TRACE-FORMATS.md).
    public var fields: [(String, JSONValue)]

    public init(_ event: HypervisorEvent) {
        switch event {
        case .exit(let r):
            time = r.time; vcpu = r.vcpu; name = "exit"; pc = r.pc
            categories = [.exits]
            var summary = r.esr.map(SyndromeDecoder.summary) ?? r.kind
            if let ipa = r.ipa {
                categories.insert(.stage2)
                summary += " ipa=" + hex(ipa)
            }
            let phases = Phase.allCases.map { ($0.description, r.phaseCycles.indices.contains($0.rawValue) ? r.phaseCycles[$0.rawValue] : 0) }
            // The kind and what the handler did (as the ledger names it), then
            // the decoded syndrome where the handler's words do not already say it.
            var said = r.detail.hasPrefix(r.kind) ? r.detail : r.detail.isEmpty ? r.kind : "\(r.kind) \(r.detail)"
            let decoded = summary.hasPrefix(r.kind + " ") ? String(summary.dropFirst(r.kind.count + 1)) : summary == r.kind ? "" : summary
            if !decoded.isEmpty && !said.contains(decoded) { said += " (\(summary))" }
            if let ret = r.returnPC { said += " -> " + hex(ret) }
            text = said + " cycles=\(r.cycles) [" + phases.filter { $0.1 > 0 }.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + "]"
            fields = [("seq", .int(Int64(r.sequence))), ("kind", .string(r.kind))]
            if let esr = r.esr { fields += [("esr", .hex(esr.raw)), ("syndrome", .object(SyndromeDecoder.fields(esr)))] }
            if let ipa = r.ipa { fields.append(("ipa", .hex(ipa))) }
            fields += [("summary", .string(summary)), ("detail", .string(r.detail)), ("return_pc", r.returnPC.map(JSONValue.hex) ?? .null),
                       ("cycles", .uint(r.cycles)),
                       ("phases", .object(phases.map { ($0.0, .uint($0.1)) }))]
        case .hardware(let v, let t, let ev):
            time = t; vcpu = v
            switch ev {
            case .daif(let p, let old, let new, let cause):
                name = "daif"; categories = [.daif]; pc = p
                text = "\(old)->\(new) (\(cause))"
                fields = [("old", .string(old.description)), ("new", .string(new.description)), ("cause", .string(cause))]
            case .guestException(let p, let vector, let kind, let esr):
                name = "exception"; categories = [.irq]; pc = p
                // Entry at EL2: the guest's own EL2 takes "EL2 sync", "EL2 irq"...
                text = (kind.hasPrefix("EL2 ") ? "\(kind.dropFirst(4)) taken at EL2" : "\(kind) taken at EL1") + " -> vector \(hex(vector))" + (esr.map { " (\(SyndromeDecoder.summary($0)))" } ?? "")
                fields = [("kind", .string(kind)), ("vector", .hex(vector))]
                if let esr { fields += [("esr", .hex(esr.raw)), ("syndrome", .object(SyndromeDecoder.fields(esr)))] }
            case .virtualInterrupt(let intid, let pending):
                name = "virq"; categories = [.irq]; pc = nil
                text = "intid=\(intid) \(pending ? "injected" : "cleared")"
                fields = [("intid", .int(Int64(intid))), ("pending", .bool(pending))]
            case .idle(let p, let cycles, let woken):
                name = "wfi-idle"; categories = [.wfi]; pc = p
                text = "idle=\(cycles) woken-by=\(woken)"
                fields = [("cycles", .uint(cycles)), ("woken_by", .string(woken))]
            }
        case .blocked(let v, let t, let p, let cycles, let woken):
            time = t; vcpu = v; name = "wfi-block"; categories = [.wfi]; pc = p
            text = "blocked=\(cycles) woken-by=\(woken)"
            fields = [("cycles", .uint(cycles)), ("woken_by", .string(woken))]
        case .psci(let v, let t, let call):
            time = t; vcpu = v; name = "psci"; categories = [.psci]; pc = nil
            text = call
            fields = [("call", .string(call))]
        case .mmio(let v, let t, let address, let size, let isWrite, let value, let device):
            time = t; vcpu = v; name = "mmio"; categories = [.mmio]; pc = nil
            text = "\(isWrite ? "write" : "read") \(device) \(hex(address)) size=\(size) value=\(hex(value))"
            fields = [("access", .string(isWrite ? "write" : "read")), ("device", .string(device)), ("address", .hex(address)),
                      ("size", .int(Int64(size))), ("value", .hex(value))]
        case .note(let v, let t, let s):
            time = t; vcpu = v; name = "note"; categories = []; pc = nil
            text = s
            fields = [("message", .string(s))]
        case .stop(let t, let reason):
            time = t; vcpu = nil; name = "stop"; categories = []; pc = nil
            text = reason.description
            var error: JSONValue = .null
            if case .error(let m) = reason { error = .string(m) }
            fields = [("reason", .string(reason.description)), ("status", .int(Int64(reason.exitStatus))), ("error", error)]
        }
    }

    /// The jsonl object: the common keys first, then the event's own.
    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("t", .uint(time)), ("vcpu", vcpu.map { .int(Int64($0)) } ?? .null), ("event", .string(name))]
        if let pc { o.append(("pc", .hex(pc))) }
        return .object(o + fields)
    }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
