/// The requests of the protocol subset el2emu serves (enough for
/// gdb-multiarch on AArch64), parsed from a packet's payload.
public enum Command: Equatable {
    case haltReason                                   // ?
    case readRegisters                                // g
    case writeRegisters([UInt8])                      // G XX...
    case readRegister(Int)                            // p n
    case writeRegister(Int, [UInt8])                  // P n=XX...
    case readMemory(address: UInt64, length: Int)     // m addr,length
    case writeMemory(address: UInt64, bytes: [UInt8]) // M addr,length:XX...
    case insertBreakpoint(UInt64)                     // Z0,addr,kind
    case removeBreakpoint(UInt64)                     // z0,addr,kind
    case continueExecution(UInt64?)                   // c [addr]
    case step(UInt64?)                                // s [addr]
    case kill                                         // k, vKill
    case detach                                       // D
    case setThread                                    // H g/c: one thread
    case threadAlive                                  // T
    case query(String, String)                        // q Name [:args]
    case vCont(step: Bool)                            // vCont;c / vCont;s
    case vContQuery                                   // vCont?
    case unsupported(String)

    public init(_ p: String) {
        guard let first = p.first else { self = .unsupported(p); return }
        let rest = p.dropFirst()
        switch first {
        case "?": self = .haltReason
        case "g": self = .readRegisters
        case "G": self = Hex.decode(rest).map(Command.writeRegisters) ?? .unsupported(p)
        case "p": self = Int(rest, radix: 16).map(Command.readRegister) ?? .unsupported(p)
        case "P":
            let parts = rest.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let n = Int(parts[0], radix: 16), let v = Hex.decode(parts[1]) { self = .writeRegister(n, v) } else { self = .unsupported(p) }
        case "m":
            let parts = rest.split(separator: ",")
            if parts.count == 2, let a = Hex.number(parts[0]), let l = Hex.number(parts[1]), l <= 1 << 16 {
                self = .readMemory(address: a, length: Int(l))
            } else { self = .unsupported(p) }
        case "M":
            let head = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let parts = head.first?.split(separator: ",") ?? []
            if head.count == 2, parts.count == 2, let a = Hex.number(parts[0]), let l = Hex.number(parts[1]),
               let bytes = Hex.decode(head[1]), bytes.count == l {
                self = .writeMemory(address: a, bytes: bytes)
            } else { self = .unsupported(p) }
        case "Z", "z":
            // Only software breakpoints (type 0); hardware ones (1) are served the same way.
            let parts = rest.split(separator: ",")
            if parts.count >= 2, parts[0] == "0" || parts[0] == "1", let a = Hex.number(parts[1]) {
                self = first == "Z" ? .insertBreakpoint(a) : .removeBreakpoint(a)
            } else { self = .unsupported(p) }
        case "c": self = .continueExecution(rest.isEmpty ? nil : Hex.number(rest))
        case "s": self = .step(rest.isEmpty ? nil : Hex.number(rest))
        case "k": self = .kill
        case "D": self = .detach
        case "H": self = .setThread
        case "T": self = .threadAlive
        case "q", "Q":
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            self = .query(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        case "v":
            if p == "vCont?" { self = .vContQuery }
            else if p == "vKill" || p.hasPrefix("vKill;") { self = .kill }
            else if p.hasPrefix("vCont;") {
                let action = p.dropFirst(6).first
                if action == "c" || action == "C" { self = .vCont(step: false) }
                else if action == "s" || action == "S" { self = .vCont(step: true) }
                else { self = .unsupported(p) }
            } else { self = .unsupported(p) }
        default: self = .unsupported(p)
        }
    }
}
