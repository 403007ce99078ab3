import ArgumentParser
import Hypervisor
import Trace

/// `--trace FILE --trace-format text|jsonl|perfetto --trace-events exits,...`
struct TraceOptions: ParsableArguments {
    @Option(help: "Write a trace of the run's events to this file.")
    var trace: String?

    @Option(name: .customLong("trace-format"), help: "Trace format: text, jsonl or perfetto (Chrome trace-event JSON).")
    var traceFormat: TraceFormat = .text

    @Option(name: .customLong("trace-events"), help: "Trace only these events: a comma-separated list of exits, stage2, daif, irq, wfi, psci, mmio.")
    var traceEvents: String?

    @Option(name: .customLong("trace-limit"), help: "Stop the run once the trace holds this many events (the trace so far is kept).")
    var traceLimit: Int?

    /// Checks the options and opens the trace file (nil without --trace).
    func openWriter(config: Configuration) throws -> TraceWriter? {
        let categories = try traceEvents.map { s in
            do { return try TraceCategory.parseList(s) } catch let e as TraceError { throw ValidationError(e.description) }
        } ?? Set(TraceCategory.allCases)
        if let traceLimit, traceLimit < 1 { throw ValidationError("--trace-limit must be at least 1, not \(traceLimit)") }
        guard let trace else { return nil }
        do {
            let w = try TraceWriter(path: trace, format: traceFormat, categories: categories, profile: config.profile.name, mode: config.mode.rawValue)
            w.limit = traceLimit
            return w
        } catch let e as TraceError {
            throw ValidationError(e.description)
        }
    }
}
