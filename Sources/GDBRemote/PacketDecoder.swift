/// Splits the byte stream from the debugger into protocol units: packets
/// (checksum verified, escapes and run-length encoding undone), acks, and
/// the out-of-band interrupt byte 0x03 (Ctrl-C).
public struct PacketDecoder {
    public enum Unit: Equatable {
        case packet(String)
        /// A packet whose checksum did not match (answered with `-`).
        case corrupt
        case ack, nack
        case interrupt
    }

    enum State { case idle, body, checksum1, checksum2 }
    var state = State.idle
    var body: [UInt8] = []
    var escaped = false
    var sum: UInt8 = 0
    var high: UInt8 = 0
    /// Packets are small (the largest we accept is a memory write); longer input is dropped.
    public static let maximumPacket = 1 << 16

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [Unit] {
        var out: [Unit] = []
        for b in bytes {
            switch state {
            case .idle:
                switch b {
                case UInt8(ascii: "$"): state = .body; body = []; sum = 0; escaped = false; pendingRepeat = nil
                case UInt8(ascii: "+"): out.append(.ack)
                case UInt8(ascii: "-"): out.append(.nack)
                case 0x03: out.append(.interrupt)
                default: break
                }
            case .body:
                if b == UInt8(ascii: "#") && pendingRepeat == nil && !escaped { state = .checksum1; continue }
                sum &+= b
                if let r = pendingRepeat {
                    // Run-length encoding: `x*n` is x followed by (n - 29) more copies.
                    pendingRepeat = nil
                    let n = Int(b) - 29
                    if n > 0 && n < 127 { body += Array(repeating: r, count: n) }
                } else if escaped {
                    body.append(b ^ 0x20); escaped = false
                } else if b == UInt8(ascii: "}") {
                    escaped = true
                } else if b == UInt8(ascii: "*"), let last = body.last {
                    pendingRepeat = last
                } else {
                    body.append(b)
                }
                if body.count > Self.maximumPacket { state = .idle; body = []; pendingRepeat = nil }
            case .checksum1:
                guard let h = Hex.nibble(b) else { state = .idle; out.append(.corrupt); continue }
                high = h; state = .checksum2
            case .checksum2:
                state = .idle
                guard let l = Hex.nibble(b), high << 4 | l == sum else { out.append(.corrupt); continue }
                out.append(.packet(String(decoding: body, as: UTF8.self)))
            }
        }
        return out
    }

    var pendingRepeat: UInt8?
}
