import ArgumentParser
import Hypervisor
import Trace

/// `el2emu stats IMAGE`: runs the guest and reports its exits as `perf kvm
/// stat report` does: per exit kind or per MMIO register (`--event mmio`),
/// for all vCPUs or one (`--vcpu`), then the exit time by phase.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a guest and print its exit statistics, as perf kvm stat report does (the guest's output goes to stderr).", discussion: exitStatusHelp)

    @OptionGroup var guest: GuestOptions

    @OptionGroup var design: ModeOptions

    @Option(help: "Events to report, as perf kvm stat report --event: vmexit (exits by kind) or mmio (device accesses by register).")
    var event: StatisticsTable.Event = .vmexit

    @Option(help: "Only this vCPU's events (as perf's --vcpu); percentages are of its own totals.")
    var vcpu: Int?

    @Option(help: "Sort by sample (number of samples, perf's default) or time (mean time).")
    var key: RunStatistics.SortKey = .sample

    @Flag(help: "Print the statistics as JSON (exits by kind, by vCPU, and MMIO accesses by register).")
    var json = false

    func validate() throws {
        if let vcpu, !(0..<guest.cpus).contains(vcpu) {
            let n = guest.cpus
            throw ValidationError("--vcpu \(vcpu): the guest has \(n) vCPU\(n == 1 ? "" : "s") (0\(n > 1 ? "-\(n - 1)" : ""))")
        }
    }

    func run() throws {
        let config = try guest.configuration(mode: design.mode)
        var recorder: StatisticsRecorder?
        let result = try GuestRun.start(guest, config: config, trace: nil, console: writeStandardError) { recorder = StatisticsRecorder.attached(to: $0) }
        let s = RunStatistics(recorder!, mode: config.mode.rawValue, profile: config.profile.name, vcpu: vcpu, key: key)
        print(json ? s.json.serialized : StatisticsTable.render(s, event: event) + "\n\n" + result.vm.tvm.summary)
        writeStandardError("el2emu: \(result.reason)\n")
        if result.reason.exitStatus != 0 { throw ExitCode(result.reason.exitStatus) }
    }
}
