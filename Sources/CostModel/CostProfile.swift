import Foundation

/// Cycles per hardware operation for one CPU. One profile prices every exit;
/// nothing is tuned per benchmark. Each price cites its public source.
public struct CostProfile: Sendable, Equatable {
    public var name: String
    public var cyclesPerOperation: [Int]     // indexed by PricedOperation.rawValue
    public var sources: [String: String]     // PricedOperation.key -> citation

    public subscript(op: PricedOperation) -> Int {
        get { cyclesPerOperation[op.rawValue] }
        set { cyclesPerOperation[op.rawValue] = newValue }
    }

    public init(name: String, prices: [PricedOperation: (Int, String)]) {
        self.name = name
        cyclesPerOperation = PricedOperation.allCases.map { prices[$0]?.0 ?? 0 }
        sources = Dictionary(uniqueKeysWithValues: prices.map { ($0.key.key, $0.value.1) })
    }

    /// The operations the profile gives no price (and so no source) for.
    public var unpriced: [PricedOperation] { PricedOperation.allCases.filter { sources[$0.key] == nil } }

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
        } catch {
            throw fail(decodingProblem(error))
        }
        guard let base = builtIn(file.base ?? "a57") else { throw fail("\"base\" must be a57 or xgene, not \"\(file.base!)\"") }
        var prices: [PricedOperation: (Int, String)] = [:]
        for (key, cycles) in file.cycles {
            let n = cycles.value
            guard let op = PricedOperation.allCases.first(where: { $0.key == key }) else {
                throw fail("unknown operation \"\(key)\" (known: \(PricedOperation.allCases.map(\.key).joined(separator: ", ")))")
            }
            guard n >= 0, n <= 1_000_000 else { throw fail("\"\(key)\" must be a whole number of cycles from 0 to 1000000") }
            prices[op] = (n, file.sources?[key] ?? "from \(s)")
        }
        let inherited = PricedOperation.allCases.filter { prices[$0] == nil }
        for op in inherited { prices[op] = (base[op], base.sources[op.key] ?? base.name) }
        return (CostProfile(name: file.name ?? s, prices: prices), inherited.map(\.key))
    }

    /// What a profile file's decoding error means, in the file's terms.
    private static func decodingProblem(_ error: Error) -> String {
        var path: [CodingKey] = []
        switch error as? DecodingError {
        case .keyNotFound(let k, _)?: return "expected a JSON object with a \"\(k.stringValue)\" object"
        case .typeMismatch(_, let c)? where c.codingPath.isEmpty: return "expected a JSON object with a \"cycles\" object"
        case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?, .dataCorrupted(let c)?: path = c.codingPath
        default: break
        }
        guard !path.isEmpty else { return "not valid JSON (expected {\"cycles\": {\"trap\": 27, ...}})" }
        let key = path.map(\.stringValue).joined(separator: ".")
        return "\"\(key)\" must be \(key.hasPrefix("cycles.") ? "a whole number of cycles" : key == "cycles" ? "an object of cycles per operation" : "a string")"
    }

    static func builtIn(_ s: String) -> CostProfile? {
        switch s.lowercased() {
        case "a57", "cortex-a57", "seattle": return .cortexA57
        case "xgene", "x-gene": return .xGene
        default: return nil
        }
    }
}
