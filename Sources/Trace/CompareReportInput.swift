import CostModel
import EL2
import Hypervisor

/// What the compare report shows: per exit kind, the modelled cost in each
/// design (mean cycles per exit), the published cost where there is one,
/// each design's cycles by phase and by operation, and what the guest saw.
/// The compare measurement fills it; it can also be built from the ledgers
/// of two runs. The text table and the report both print from it.
public struct CompareReportInput: Equatable, Sendable {
    /// One kind of hardware operation in an exit: how many per operation, at what price.
    public struct OperationCost: Equatable, Sendable {
        public var operation: PricedOperation
        public var count: Double
        public var price: Int
        public init(operation: PricedOperation, count: Double, price: Int) {
            self.operation = operation; self.count = count; self.price = price
        }
    }

    public struct Kind: Equatable, Sendable {
        /// The exit kind or benchmark, e.g. "HVC64" or "Hypercall".
        public var name: String
        public var splitCycles: UInt64?
        public var vheCycles: UInt64?
        public var publishedSplit: UInt64?
        public var publishedVHE: UInt64?
        /// Mean cycles per exit in each phase (Phase order: entry, save, handler, highvisor, restore, eret).
        public var splitPhases: [UInt64]
        public var vhePhases: [UInt64]
        /// Exits per operation in each design (0: the operation took none).
        public var splitExits: Double?
        public var vheExits: Double?
        /// The cycles per operation the guest itself measured on CNTVCT, as the text table shows them.
        public var guestSplit: UInt64?
        public var guestVHE: UInt64?
        /// The operations behind each design's cost, in PricedOperation order.
        public var splitOperations: [OperationCost]
        public var vheOperations: [OperationCost]

        public init(name: String, splitCycles: UInt64?, vheCycles: UInt64?, publishedSplit: UInt64? = nil, publishedVHE: UInt64? = nil,
                    splitPhases: [UInt64] = [], vhePhases: [UInt64] = [], splitExits: Double? = nil, vheExits: Double? = nil,
                    guestSplit: UInt64? = nil, guestVHE: UInt64? = nil,
                    splitOperations: [OperationCost] = [], vheOperations: [OperationCost] = []) {
            self.name = name; self.splitCycles = splitCycles; self.vheCycles = vheCycles
            self.publishedSplit = publishedSplit; self.publishedVHE = publishedVHE
            self.splitPhases = splitPhases; self.vhePhases = vhePhases
            self.splitExits = splitExits; self.vheExits = vheExits
            self.guestSplit = guestSplit; self.guestVHE = guestVHE
            self.splitOperations = splitOperations; self.vheOperations = vheOperations
        }
    }

    public var title: String
    /// The cost profile that priced the model's numbers.
    public var profile: String
    public var publishedSource: String
    public var kinds: [Kind]

    public init(title: String = "el2emu: split mode vs VHE", profile: String, publishedSource: String = PublishedExitCosts.source, kinds: [Kind]) {
        self.title = title; self.profile = profile; self.publishedSource = publishedSource; self.kinds = kinds
    }

    /// Mean per-exit costs by kind from a split-mode and a VHE run of the same guest.
    public init(split: Ledger, vhe: Ledger, title: String = "el2emu: split mode vs VHE") {
        let names = Set(split.byKind.keys).union(vhe.byKind.keys).sorted()
        func mean(_ s: ExitStatistics?) -> UInt64? { s.flatMap { $0.count > 0 ? $0.cycles / UInt64($0.count) : nil } }
        func phases(_ s: ExitStatistics?) -> [UInt64] {
            guard let s, s.count > 0 else { return [] }
            return s.phaseCycles.map { $0 / UInt64(s.count) }
        }
        func operations(_ s: ExitStatistics?, _ profile: CostProfile) -> [OperationCost] {
            guard let s, s.count > 0 else { return [] }
            return PricedOperation.allCases.filter { s.counts.total($0) > 0 }
                .map { OperationCost(operation: $0, count: Double(s.counts.total($0)) / Double(s.count), price: profile[$0]) }
        }
        kinds = names.map { n in
            let p = PublishedExitCosts.entry(forExitKind: n)
            let s = split.byKind[n], v = vhe.byKind[n]
            return Kind(name: p.map { "\(n) (\($0.benchmark))" } ?? n, splitCycles: mean(s), vheCycles: mean(v),
                        publishedSplit: p?.split, publishedVHE: p?.vhe, splitPhases: phases(s), vhePhases: phases(v),
                        splitExits: s.map { _ in 1 }, vheExits: v.map { _ in 1 },
                        splitOperations: operations(s, split.profile), vheOperations: operations(v, vhe.profile))
        }
        self.title = title
        profile = split.profile.name == vhe.profile.name ? split.profile.name : "\(split.profile.name) / \(vhe.profile.name)"
        publishedSource = PublishedExitCosts.source
    }
}
