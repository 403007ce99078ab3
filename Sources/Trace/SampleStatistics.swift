/// The numbers perf kvm stat keeps per event (kvm_event_stats): samples,
/// total, min and max time, and the running mean and squared deviations of
/// util/stat.c's update_stats (Welford), from which its "+-" spread comes.
/// Times are modelled cycles; the same samples in the same order give the
/// same figures.
public struct SampleStatistics: Equatable, Sendable {
    public private(set) var count = 0
    public private(set) var total: UInt64 = 0
    public private(set) var min: UInt64 = 0
    public private(set) var max: UInt64 = 0
    private var mean = 0.0, m2 = 0.0

    public init() {}

    public mutating func add(_ cycles: UInt64) {
        min = count == 0 ? cycles : Swift.min(min, cycles)
        max = Swift.max(max, cycles)
        count += 1
        total &+= cycles
        let delta = Double(cycles) - mean
        mean += delta / Double(count)
        m2 += delta * (Double(cycles) - mean)
    }

    public var meanCycles: UInt64 { count > 0 ? total / UInt64(count) : 0 }

    /// perf's "Avg time +- n%": the standard error of the mean (stddev_stats)
    /// as a share of the mean (rel_stddev_stats), in hundredths of a percent.
    public var spreadBasisPoints: Int64 {
        guard count > 1, mean > 0 else { return 0 }
        let standardError = (m2 / Double(count - 1) / Double(count)).squareRoot()
        return Int64((standardError / mean * 10_000).rounded())
    }
}
