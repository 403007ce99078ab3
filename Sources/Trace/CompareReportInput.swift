import EL2
import Hypervisor

/// What the compare report shows: per exit kind, the modelled cost in each
/// design (mean cycles per exit), the published cost where there is one,
/// and each design's cycles by phase. The compare measurement fills it; it
/// can also be built from the ledgers of two runs.
public struct CompareReportInput: Equatable, Sendable {
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

        public init(name: String, splitCycles: UInt64?, vheCycles: UInt64?, publishedSplit: UInt64? = nil, publishedVHE: UInt64? = nil,
                    splitPhases: [UInt64] = [], vhePhases: [UInt64] = []) {
            self.name = name; self.splitCycles = splitCycles; self.vheCycles = vheCycles
            self.publishedSplit = publishedSplit; self.publishedVHE = publishedVHE
            self.splitPhases = splitPhases; self.vhePhases = vhePhases
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
        kinds = names.map { n in
            let p = PublishedExitCosts.entry(forExitKind: n)
            return Kind(name: p.map { "\(n) (\($0.benchmark))" } ?? n, splitCycles: mean(split.byKind[n]), vheCycles: mean(vhe.byKind[n]),
                        publishedSplit: p?.split, publishedVHE: p?.vhe, splitPhases: phases(split.byKind[n]), vhePhases: phases(vhe.byKind[n]))
        }
        self.title = title
        profile = split.profile.name == vhe.profile.name ? split.profile.name : "\(split.profile.name) / \(vhe.profile.name)"
        publishedSource = PublishedExitCosts.source
    }
}
