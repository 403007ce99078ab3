import Hypervisor

/// One line per event: virtual time first, vCPU, event name, PC, decoded fields.
///
///          165 cpu0 exit      pc=0x400803b0 HVC64 #0x0: HVC PSCI_VERSION cycles=4802 [entry=110 ...]
public enum TextFormatter {
    /// The line of one event, without its newline.
    public static func line(_ e: HypervisorEvent) -> String {
        let encoder = TraceEncoder()
        encoder.textLine(TraceEvent(e), e)
        return String(decoding: encoder.out.bytes.dropLast(), as: UTF8.self)
    }

    public static func hex(_ v: UInt64) -> String { Trace.hex(v) }
}

extension TraceEncoder {
    /// The text line of an event, with its newline.
    func textLine(_ e: TraceEvent, _ event: HypervisorEvent) {
        switch event {
        case .exit(let r): return textExit(CapturedExit(r)) { (r.kind, r.detail) }
        case .psci(let v, let t, let call, let power): return textPSCI(CapturedPSCI(vcpu: v, time: t, call: -1, power: power)) { call }
        default: break
        }
        textTime(e.time)
        if let v = e.vcpu {
            out.append(" cpu")
            out.append(decimal: Int64(v))
        } else {
            out.append(" -   ")
        }
        out.append(" ")
        out.append(e.name)
        out.append(spaces: max(1, 10 - e.name.utf8CodeUnitCount))
        if let pc = e.pc {
            out.append("pc=")
            out.append(hex: pc)
            out.append(" ")
        }
        switch event {
        case .exit:
            break   // textExit
        case .hardware(_, _, let ev):
            switch ev {
            case .daif(_, let old, let new, let cause):
                out.append(string: "\(old)->\(new) (\(cause))")
            case .guestException(_, let vector, let kind, let esr):
                // Entry at EL2: the guest's own EL2 takes "EL2 sync", "EL2 irq"...
                out.append(string: kind.hasPrefix("EL2 ") ? "\(kind.dropFirst(4)) taken at EL2" : "\(kind) taken at EL1")
                out.append(" -> vector ")
                out.append(hex: vector)
                if let esr {
                    out.append(" (")
                    out.append(string: summary(esr))
                    out.append(")")
                }
            case .virtualInterrupt(let intid, let pending):
                out.append("intid=")
                out.append(decimal: Int64(intid))
                out.append(pending ? " injected" : " cleared")
            case .idle(_, let cycles, let woken):
                out.append("idle=")
                out.append(decimal: cycles)
                out.append(" woken-by=")
                out.append(string: woken)
            case .guestEL2Return(let x):
                guestEL2ExitText(x)   // GuestEL2ExitTrace.swift
            }
        case .blocked(_, _, _, let cycles, let woken):
            out.append("blocked=")
            out.append(decimal: cycles)
            out.append(" woken-by=")
            out.append(string: woken)
        case .psci:
            break   // textPSCI
        case .mmio(_, _, let address, let size, let isWrite, let value, let device):
            out.append(isWrite ? "write " : "read ")
            out.append(string: device)
            out.append(" ")
            out.append(hex: address)
            out.append(" size=")
            out.append(decimal: Int64(size))
            out.append(" value=")
            out.append(hex: value)
        case .note(_, _, let s):
            out.append(string: s)
        case .stop(_, let reason):
            out.append(string: reason.description)
        }
        out.append("\n")
    }
}
