import EL2
import Foundation

/// Cycles per hardware operation for one CPU. One profile prices every exit;
/// nothing is tuned per benchmark. Each price cites its public source.
public struct CostProfile: Sendable, Equatable {
    public var name: String
    public var cyclesPerOperation: [Int]     // indexed by HardwareOperation.rawValue
    public var sources: [String: String]     // HardwareOperation.key -> citation

    public subscript(op: HardwareOperation) -> Int {
        get { cyclesPerOperation[op.rawValue] }
        set { cyclesPerOperation[op.rawValue] = newValue }
    }

    public init(name: String, prices: [HardwareOperation: (Int, String)]) {
        self.name = name
        cyclesPerOperation = HardwareOperation.allCases.map { prices[$0]?.0 ?? 0 }
        sources = Dictionary(uniqueKeysWithValues: prices.map { ($0.key.key, $0.value.1) })
    }

    /// The modelled cycles of a set of operation counts, per phase.
    public func price(_ counts: OperationCounts) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: Phase.allCases.count)
        let w = OperationCounts.width
        for p in 0..<out.count {
            var sum = 0
            for o in 0..<w { sum &+= counts.table[p &* w &+ o] &* cyclesPerOperation[o] }
            out[p] = UInt64(max(0, sum))
        }
        return out
    }

    public struct LoadError: Error, CustomStringConvertible { public let description: String }

    /// `a57`, `xgene`, or a JSON file (see `load`).
    public static func named(_ s: String) throws -> CostProfile { try load(s).profile }

    /// A built-in profile by name, or a JSON file:
    /// {"name": ..., "base": "a57"|"xgene", "cycles": {"trap": 27, ...}, "sources": {...}}.
    /// A file that prices only some operations takes the rest from its base
    /// (A57 unless it says); `inherited` lists those keys, for a warning.
    public static func load(_ s: String) throws -> (profile: CostProfile, inherited: [String]) {
        if let builtIn = builtIn(s) { return (builtIn, []) }
        func fail(_ why: String) -> LoadError { LoadError(description: "profile file \(s): \(why)") }
        guard let data = FileManager.default.contents(atPath: s) else {
            throw LoadError(description: "profile '\(s)' is neither a57, xgene nor a readable file")
        }
        guard data.count <= 1 << 20 else { throw fail("\(data.count) bytes is too large for a profile") }
        struct File: Decodable {
            var name: String?
            var base: String?
            var cycles: [String: Cycles]
            var sources: [String: String]?
        }
        /// A whole number; anything else (1.5, true, "27") names its key.
        struct Cycles: Decodable {
            let value: Int
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                guard let v = try? c.decode(Int.self) else {
                    throw DecodingError.typeMismatch(Int.self, .init(codingPath: c.codingPath, debugDescription: "not a whole number"))
                }
                value = v
            }
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch DecodingError.keyNotFound(let k, _) {
            throw fail("expected a JSON object with a \"\(k.stringValue)\" object")
        } catch let e as DecodingError {
            let path: [CodingKey]
            switch e {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): path = c.codingPath
            default: path = []
            }
            let key = path.map(\.stringValue).joined(separator: ".")
            if path.isEmpty, case .typeMismatch = e { throw fail("expected a JSON object with a \"cycles\" object") }
            if !path.isEmpty { throw fail("\"\(key)\" must be \(key.hasPrefix("cycles.") ? "a whole number of cycles" : key == "cycles" ? "an object of cycles per operation" : "a string")") }
            throw fail("not valid JSON (expected {\"cycles\": {\"trap\": 27, ...}})")
        } catch {
            throw fail("not valid JSON (expected {\"cycles\": {\"trap\": 27, ...}})")
        }
        guard let base = builtIn(file.base ?? "a57") else { throw fail("\"base\" must be a57 or xgene, not \"\(file.base!)\"") }
        var prices: [HardwareOperation: (Int, String)] = [:]
        for (key, cycles) in file.cycles {
            let n = cycles.value
            guard let op = HardwareOperation.allCases.first(where: { $0.key == key }) else {
                throw fail("unknown operation \"\(key)\" (known: \(HardwareOperation.allCases.map(\.key).joined(separator: ", ")))")
            }
            guard n >= 0, n <= 1_000_000 else { throw fail("\"\(key)\" must be a whole number of cycles from 0 to 1000000") }
            prices[op] = (n, file.sources?[key] ?? "from \(s)")
        }
        let inherited = HardwareOperation.allCases.filter { prices[$0] == nil }
        for op in inherited { prices[op] = (base[op], base.sources[op.key] ?? base.name) }
        return (CostProfile(name: file.name ?? s, prices: prices), inherited.map(\.key))
    }

    static func builtIn(_ s: String) -> CostProfile? {
        switch s.lowercased() {
        case "a57", "cortex-a57", "seattle": return .cortexA57
        case "xgene", "x-gene": return .xGene
        default: return nil
        }
    }
}
