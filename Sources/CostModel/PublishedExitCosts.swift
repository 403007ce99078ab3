/// Published exit costs to compare the model with: USENIX ATC 2017, Dall,
/// Li, Lim, Nieh, "Optimizing the Design and Implementation of the Linux ARM
/// Hypervisor", Table 2 (AMD Seattle, Cortex-A57; cycles). The VHE column is
/// their EL2-host design. Virtual EOI is ISCA 2016's: 71 cycles, no trap
/// with a hardware vGIC, the same in both designs.
public enum PublishedExitCosts {
    public struct Entry: Equatable, Sendable {
        public var benchmark: String
        public var split: UInt64
        public var vhe: UInt64
    }

    public static let source = "USENIX ATC 2017, Dall et al., Table 2 (AMD Seattle, Cortex-A57)"

    public static let atc2017: [Entry] = [
        Entry(benchmark: "Hypercall", split: 6_413, vhe: 752),
        Entry(benchmark: "I/O Kernel", split: 8_034, vhe: 1_604),
        Entry(benchmark: "I/O User", split: 10_012, vhe: 7_630),
        Entry(benchmark: "Virtual IPI", split: 13_121, vhe: 2_526),
    ]

    /// ISCA 2016, Dall et al.: a virtual EOI on the hardware vGIC.
    public static let virtualEOI = Entry(benchmark: "Virtual EOI", split: 71, vhe: 71)

    /// A micro-benchmark's published figures by its title.
    public static func entry(benchmark: String) -> Entry? {
        benchmark == virtualEOI.benchmark ? virtualEOI : atc2017.first { $0.benchmark == benchmark }
    }

    /// The benchmark an exit kind measures, where the paper has one: an HVC
    /// exit is the Hypercall microbenchmark.
    public static func entry(forExitKind kind: String) -> Entry? {
        switch kind {
        case "HVC64": return entry(benchmark: "Hypercall")
        default: return nil
        }
    }
}
