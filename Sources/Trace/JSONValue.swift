/// A JSON value with ordered object keys, so that every JSON el2emu writes
/// (jsonl traces, Chrome trace events, statistics) is byte-for-byte
/// reproducible: no dictionary ordering, no host-dependent number formatting.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)
    /// A fixed-point number: `value` / 10^`scale`, written exactly (e.g. 12.34).
    case decimal(Int64, scale: Int)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized == b.serialized }

    /// Compact JSON text (no spaces), keys in insertion order.
    public var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .decimal(let v, let scale): out += JSONValue.fixedPoint(v, scale: scale)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSONValue.quote(k, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    /// `v` / 10^`scale` in decimal notation, computed in integers (no host float formatting).
    public static func fixedPoint(_ v: Int64, scale: Int) -> String {
        guard scale > 0 else { return String(v) }
        let digits = String(v.magnitude)
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let cut = padded.index(padded.endIndex, offsetBy: -scale)
        return (v < 0 ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// 64-bit addresses and syndromes are written as "0x..." strings: JSON
    /// readers (JavaScript, jq) lose precision on integers above 2^53.
    public static func hex(_ v: UInt64) -> JSONValue { .string("0x" + String(v, radix: 16)) }
}
