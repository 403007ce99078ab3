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

    /// `a57`, `xgene`, or a JSON file: {"name": ..., "cycles": {"trap": 27, ...}, "sources": {...}}.
    public static func named(_ s: String) throws -> CostProfile {
        switch s.lowercased() {
        case "a57", "cortex-a57", "seattle": return .cortexA57
        case "xgene", "x-gene": return .xGene
        default: break
        }
        guard let data = FileManager.default.contents(atPath: s) else {
            throw LoadError(description: "profile '\(s)' is neither a57, xgene nor a readable file")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cycles = obj["cycles"] as? [String: Any] else {
            throw LoadError(description: "profile file \(s): expected a JSON object with a \"cycles\" object")
        }
        let sources = obj["sources"] as? [String: String] ?? [:]
        var prices: [HardwareOperation: (Int, String)] = [:]
        for (key, value) in cycles {
            guard let op = HardwareOperation.allCases.first(where: { $0.key == key }) else {
                throw LoadError(description: "profile file \(s): unknown operation \"\(key)\" (known: \(HardwareOperation.allCases.map(\.key).joined(separator: ", ")))")
            }
            guard let n = value as? Int, n >= 0, n <= 1_000_000 else {
                throw LoadError(description: "profile file \(s): \"\(key)\" must be a whole number of cycles from 0 to 1000000")
            }
            prices[op] = (n, sources[key] ?? "from \(s)")
        }
        return CostProfile(name: obj["name"] as? String ?? s, prices: prices)
    }
}
