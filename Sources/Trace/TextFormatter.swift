import AArch64
import EL2
import Hypervisor

/// One line per event: virtual time first, vCPU, event kind, PC, decoded fields.
public enum TextFormatter {
    public static func line(_ e: HypervisorEvent) -> String {
        switch e {
        case .exit(let r):
            let phases = Phase.allCases.filter { r.phaseCycles[$0.rawValue] > 0 }
                .map { "\($0)=\(r.phaseCycles[$0.rawValue])" }.joined(separator: " ")
            return "\(t(r.time)) cpu\(r.vcpu) exit     pc=\(hex(r.pc)) \(r.kind) \(r.detail) cycles=\(r.cycles) [\(phases)]"
        case .hardware(let v, let time, let ev):
            switch ev {
            case .daif(let pc, let old, let new, let cause):
                return "\(t(time)) cpu\(v) daif     pc=\(hex(pc)) \(old)->\(new) (\(cause))"
            case .guestException(let pc, let vector, let kind, let esr):
                let s = esr.map { " esr=\(hex($0.raw)) \($0.ec?.description ?? "EC?")" } ?? ""
                return "\(t(time)) cpu\(v) irq-take pc=\(hex(pc)) \(kind) -> vector \(hex(vector))\(s)"
            case .virtualInterrupt(let intid, let pending):
                return "\(t(time)) cpu\(v) virq     intid=\(intid) \(pending ? "pending" : "cleared")"
            case .idle(let pc, let cycles, let woken):
                return "\(t(time)) cpu\(v) wfi-idle pc=\(hex(pc)) idle=\(cycles) woken-by=\(woken)"
            }
        case .blocked(let v, let time, let pc, let cycles, let woken):
            return "\(t(time)) cpu\(v) wfi-block pc=\(hex(pc)) blocked=\(cycles) woken-by=\(woken)"
        case .psci(let v, let time, let call):
            return "\(t(time)) cpu\(v) psci     \(call)"
        case .mmio(let v, let time, let address, let size, let isWrite, let value, let device):
            return "\(t(time)) cpu\(v) mmio     \(isWrite ? "write" : "read") \(device) \(hex(address)) size=\(size) value=\(hex(value))"
        case .note(let v, let time, let s):
            return "\(t(time)) cpu\(v) note     \(s)"
        case .stop(let time, let reason):
            return "\(t(time)) -    stop     \(reason)"
        }
    }

    static func t(_ cycles: UInt64) -> String {
        let s = String(cycles)
        return String(repeating: " ", count: max(0, 12 - s.count)) + s
    }

    public static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
