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
    case kill(reply: Bool)                            // k (no reply), vKill (OK)
    case detach                                       // D
    case setThread(Int?)                              // H g/c tid (-1, 0: any)
    case threadAlive(Int?)                            // T tid
    case query(String, String)                        // q Name [:args]
    case vCont(step: Bool, thread: Int?)              // vCont;c / vCont;s[:tid]
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
        case "k": self = .kill(reply: false)
        case "D": self = .detach
        case "H": self = .setThread(Command.threadID(rest.dropFirst()))
        case "T": self = .threadAlive(Command.threadID(rest))
        case "q", "Q":
            // The name ends at ':' (qXfer:...) or ',' (qRcmd,hex and qThreadExtraInfo,tid).
            let end = rest.firstIndex { $0 == ":" || $0 == "," } ?? rest.endIndex
            self = .query(String(rest[..<end]), end == rest.endIndex ? "" : String(rest[rest.index(after: end)...]))
        case "v":
            if p == "vCont?" { self = .vContQuery }
            else if p == "vKill" || p.hasPrefix("vKill;") { self = .kill(reply: true) }
            else if p.hasPrefix("vCont;") {
                // Actions in order, each "a[:tid]": a step wins; the others continue.
                let actions = p.dropFirst(6).split(separator: ";").map { $0.split(separator: ":", maxSplits: 1) }
                let kinds = actions.map { $0.first?.first ?? " " }
                if let i = kinds.firstIndex(where: { $0 == "s" || $0 == "S" }) {
                    self = .vCont(step: true, thread: actions[i].count > 1 ? Command.threadID(actions[i][1]) : nil)
                } else if !kinds.isEmpty, kinds.allSatisfy({ $0 == "c" || $0 == "C" }) {
                    self = .vCont(step: false, thread: nil)
                } else { self = .unsupported(p) }
            } else { self = .unsupported(p) }
        default: self = .unsupported(p)
        }
    }

    /// A thread id: hex, or -1/0 for all/any (nil).
    static func threadID<S: StringProtocol>(_ s: S) -> Int? {
        guard s != "-1", let n = Hex.number(s), n > 0, n <= 1 << 16 else { return nil }
        return Int(n)
    }
}
