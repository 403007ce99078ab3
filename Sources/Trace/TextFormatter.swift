import Hypervisor

/// One line per event: virtual time first, vCPU, event name, PC, decoded fields.
///
///          165 cpu0 exit      pc=0x400803b0 HVC64 #0x0: HVC PSCI_VERSION cycles=4802 [entry=110 ...]
public enum TextFormatter {
    public static func line(_ e: HypervisorEvent) -> String { line(TraceEvent(e)) }

    public static func line(_ e: TraceEvent) -> String {
        let t = String(e.time)
        var s = String(repeating: " ", count: max(0, 12 - t.count)) + t
        s += " " + (e.vcpu.map { "cpu\($0)" } ?? "-   ")
        s += " " + e.name + String(repeating: " ", count: max(1, 10 - e.name.count))
        if let pc = e.pc { s += "pc=" + hex(pc) + " " }
        return s + e.text
    }

    public static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
}
