/// GDB remote serial protocol framing: `$payload#cc`, where cc is the
/// modulo-256 sum of the payload bytes in two hex digits, and `}` escapes
/// `$`, `#`, `}` and `*` (XOR 0x20) in binary data.
public enum Packet {
    public static func checksum<S: Sequence>(_ bytes: S) -> UInt8 where S.Element == UInt8 {
        bytes.reduce(0, &+)
    }

    /// The framed bytes of a packet with `payload` (escaped).
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(payload.count)
        for b in payload {
            if b == UInt8(ascii: "$") || b == UInt8(ascii: "#") || b == UInt8(ascii: "}") || b == UInt8(ascii: "*") {
                body += [UInt8(ascii: "}"), b ^ 0x20]
            } else {
                body.append(b)
            }
        }
        let c = checksum(body)
        return [UInt8(ascii: "$")] + body + [UInt8(ascii: "#")] + Hex.byte(c)
    }

    public static func frame(_ payload: String) -> [UInt8] { frame(Array(payload.utf8)) }
}

/// Hex encoding as the protocol uses it (lower case, two digits per byte).
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    public static func byte(_ b: UInt8) -> [UInt8] { [digits[Int(b >> 4)], digits[Int(b & 15)]] }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += byte(b) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode<S: StringProtocol>(_ s: S) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// A big-endian hex number as in addresses and lengths ("40080000").
    public static func number<S: StringProtocol>(_ s: S) -> UInt64? {
        guard !s.isEmpty, s.count <= 16 else { return nil }
        return UInt64(s, radix: 16)
    }

    /// `value` as `size` bytes in target (little-endian) order, hex encoded.
    public static func littleEndian(_ value: UInt64, size: Int) -> String {
        encode(bytes(value, size: size))
    }

    /// `value` as `size` little-endian bytes.
    public static func bytes(_ value: UInt64, size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    public static func fromLittleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
