import ArgumentParser
import Hypervisor
import Trace

/// `el2emu stats IMAGE`: runs the guest and prints per exit reason the
/// count, total and mean modelled cycles and share, and the phase totals.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a guest and print its exit statistics (the guest's output goes to stderr).")

    @OptionGroup var guest: GuestOptions

    @Option(help: "Design: nvhe (split mode, ARMv8.0) or vhe (ARMv8.1).")
    var mode: String = "nvhe"

    @Flag(help: "Print the statistics as JSON.")
    var json = false

    func run() throws {
        let config = try guest.configuration(mode: parseMode(mode))
        let result = try GuestRun.start(guest, config: config, trace: nil, console: writeStandardError)
        let s = RunStatistics(ledger: result.vm.ledger, mode: config.mode.rawValue)
        print(json ? s.json.serialized : StatisticsTable.render(s) + "\n\n" + result.vm.tvm.summary)
        writeStandardError("el2emu: \(result.reason)\n")
        if result.reason.exitStatus != 0 { throw ExitCode(result.reason.exitStatus) }
    }
}
