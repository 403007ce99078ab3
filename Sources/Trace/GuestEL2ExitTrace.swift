import AArch64
import EL2
import Hypervisor

/// An exit to the guest's own EL2, ended by its ERET back (`GuestEL2Exit`),
/// in each trace format: a text line, its JSON fields, and in the Chrome
/// trace a slice from the exception to the ERET, named by the exit reason.
extension TraceEncoder {
    /// `SYS64 MRS x0, SCTLR_EL1 elr=0x... -> ERET after 368 cycles, 61 insns at EL2; EL1 read SCTLR_EL1; written -`
    func guestEL2ExitText(_ x: GuestEL2Exit) {
        if let esr = x.esr, x.kind == "EL2 sync" { out.append(string: summary(esr)) } else { out.append(string: x.reason) }
        if let far = x.far {
            out.append(" far=")
            out.append(hex: far)
        }
        if let hpfar = x.hpfar {
            out.append(" hpfar=")
            out.append(hex: hpfar)
        }
        out.append(" -> ERET after ")
        out.append(decimal: x.cycles)
        out.append(" cycles, ")
        out.append(decimal: x.instructions)
        out.append(" insns at EL2; EL1 read ")
        out.append(string: x.read.isEmpty ? "-" : x.read.map(\.description).joined(separator: ","))
        out.append(" written ")
        out.append(string: x.written.isEmpty ? "-" : x.written.map(\.description).joined(separator: ","))
    }

    /// The fields (docs/TRACE-FORMATS.md): reason, kind, esr and its syndrome, elr, far, hpfar,
    /// entry_time, cycles, instructions, el1_read, el1_written.
    func guestEL2ExitFields(_ x: GuestEL2Exit) {
        out.key("reason"); out.append(jsonString: x.reason)
        out.key("kind"); out.append(jsonString: x.kind)
        if let esr = x.esr {
            out.key("esr"); out.append(jsonHex: esr.raw)
            out.key("ec"); out.append(jsonHex: UInt64(esr.ecRaw))
            out.key("iss"); out.append(jsonHex: UInt64(esr.iss))
            out.key("syndrome"); appendSyndrome(esr)
        }
        out.key("elr"); out.append(jsonHex: x.elr)
        out.key("far"); if let far = x.far { out.append(jsonHex: far) } else { out.append("null") }
        out.key("hpfar"); if let hpfar = x.hpfar { out.append(jsonHex: hpfar) } else { out.append("null") }
        out.key("entry_time"); out.append(decimal: x.entryTime)
        out.key("cycles"); out.append(decimal: x.cycles)
        out.key("instructions"); out.append(decimal: x.instructions)
        out.key("el1_read"); names(x.read)
        out.key("el1_written"); names(x.written)
    }

    private func names(_ rs: [SystemRegister]) {
        out.append("[")
        for (i, r) in rs.enumerated() {
            if i > 0 { out.append(",") }
            out.append(jsonString: r.description)
        }
        out.append("]")
        out.comma = true
    }
}

extension ChromeTraceFormatter {
    /// The exit as a slice on its vCPU's track, from the exception to the ERET
    /// (`end`), nested like el2emu's own exits; the instant events at either end stay.
    func guestEL2ExitSlice(_ x: GuestEL2Exit, _ e: TraceEvent, _ event: HypervisorEvent, tid: Int64) {
        begin(name: x.reason, at: x.entryTime, rank: Self.sliceRank(x.cycles))
        out.key("cat"); out.append(jsonString: "el2 exit")
        out.key("ph"); out.append(jsonString: "X")
        appendSpan(x.entryTime, x.cycles)
        ids(tid: tid)
        out.key("args"); args(e, event)
        out.endObject()
    }
}
