import AArch64
import CostModel
import EL2

/// The micro-benchmarks `el2emu compare` runs in both designs, with the
/// published cycle counts beside them.
public enum MicroBenchmark: Int, CaseIterable, Sendable {
    case hypercall = 1, ioKernel = 2, ioUser = 3, virtualIPI = 4, virtualEOI = 5

    public var title: String {
        switch self {
        case .hypercall: return "Hypercall"
        case .ioKernel: return "I/O Kernel"
        case .ioUser: return "I/O User"
        case .virtualIPI: return "Virtual IPI"
        case .virtualEOI: return "Virtual EOI"
        }
    }

    /// The published cycles (`PublishedExitCosts`: ATC 2017 Table 2, ISCA 2016's Virtual EOI).
    public func published(_ mode: VirtualizationMode) -> Int {
        guard let e = PublishedExitCosts.entry(benchmark: title) else { return 0 }
        return Int(mode == .vhe ? e.vhe : e.split)
    }

    /// Iterations the micro-benchmark guest times (plus one warm-up).
    public static let iterations = 1024
    /// The vCPUs a benchmark needs.
    public var cpus: Int { self == .virtualIPI ? 2 : 1 }
}

/// One design's measurement of one micro-benchmark.
public struct BenchmarkMeasurement: Sendable {
    public var cyclesPerOperation: Double
    public var phaseCyclesPerOperation: [Double]              // Phase.rawValue order
    public var operationsPerOperation: [PricedOperation: Double]
    public var exitsPerOperation: Double
    /// What the guest itself measured on CNTVCT, converted to cycles, per operation.
    public var guestCyclesPerOperation: Double?
}

/// A row of the comparison: both designs, and the published figures.
public struct ComparisonRow: Sendable {
    public var benchmark: MicroBenchmark
    public var results: [VirtualizationMode: Result<BenchmarkMeasurement, ComparisonFailure>]
}

public struct ComparisonFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Runs the micro-benchmark guest in each design and prices what each exit did.
public enum Comparison {
    public static func run(image: GuestImage, base: Configuration, benchmarks: [MicroBenchmark] = MicroBenchmark.allCases) -> [ComparisonRow] {
        benchmarks.map { b in
            var results: [VirtualizationMode: Result<BenchmarkMeasurement, ComparisonFailure>] = [:]
            for mode in VirtualizationMode.allCases {
                results[mode] = measure(b, mode: mode, image: image, base: base)
            }
            return ComparisonRow(benchmark: b, results: results)
        }
    }

    /// The ledger of a run of `iterations` timed operations (x1; the guest adds a warm-up).
    static func ledger(_ b: MicroBenchmark, iterations: UInt64, mode: VirtualizationMode, image: GuestImage,
                       base: Configuration) throws -> (Ledger, output: String, clock: VirtualClock) {
        var config = base
        config.mode = mode
        config.cpus = max(config.cpus, b.cpus)
        let vm = try VirtualMachine(config)
        try vm.load(image)
        let reason = vm.run(entry: image.entry, x0: UInt64(b.rawValue), x1: iterations)
        guard case .guestExit(0, _) = reason else { throw ComparisonFailure(description: "\(b.title) in \(mode.title): \(reason)") }
        return (vm.ledger, vm.output, vm.vcpus[0].cpu.clock)
    }

    /// Per operation: the difference of a run of `MicroBenchmark.iterations`
    /// operations and a run of one, so that the set-up's exits (GIC and
    /// secondary bring-up, the warm-up) are not spread over the operations,
    /// as kvm-unit-tests times only its loop.
    static func measure(_ b: MicroBenchmark, mode: VirtualizationMode, image: GuestImage, base: Configuration) -> Result<BenchmarkMeasurement, ComparisonFailure> {
        do {
            let (long, output, clock) = try ledger(b, iterations: UInt64(MicroBenchmark.iterations), mode: mode, image: image, base: base)
            let (short, _, _) = try ledger(b, iterations: 1, mode: mode, image: image, base: base)
            let n = Double(MicroBenchmark.iterations - 1)
            var phases = [Double](repeating: 0, count: Phase.allCases.count)
            var ops: [PricedOperation: Double] = [:]
            for (run, sign) in [(long, 1.0), (short, -1.0)] {
                for s in run.byKind.values {
                    for p in Phase.allCases { phases[p.rawValue] += sign * Double(s.phaseCycles[p.rawValue]) / n }
                    for op in PricedOperation.allCases { ops[op, default: 0] += sign * Double(s.counts.total(op)) / n }
                }
            }
            let guestTicks = output.split(separator: "\n").compactMap { line -> Double? in
                guard let r = line.range(of: "ticks/op=") else { return nil }
                return Double(line[r.upperBound...].prefix { $0.isNumber })
            }.first
            let ratio = Double(clock.cpuHz / max(clock.counterHz, 1))
            return .success(BenchmarkMeasurement(cyclesPerOperation: (Double(long.totalCycles) - Double(short.totalCycles)) / n,
                                        phaseCyclesPerOperation: phases,
                                        operationsPerOperation: ops.filter { $0.value > 0.005 },
                                        exitsPerOperation: Double(long.exits - short.exits) / n,
                                        guestCyclesPerOperation: guestTicks.map { $0 * ratio }))
        } catch let f as ComparisonFailure {
            return .failure(f)
        } catch {
            return .failure(ComparisonFailure(description: "\(b.title) in \(mode.title): \(error)"))
        }
    }
}
