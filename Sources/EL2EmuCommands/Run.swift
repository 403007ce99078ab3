import ArgumentParser
import Foundation
import Hypervisor
import Trace

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Boot a guest image (ELF, arm64 Image) and run it to the end.", discussion: exitStatusHelp)

    @OptionGroup var guest: GuestOptions

    @OptionGroup var design: ModeOptions

    @OptionGroup var traceOptions: TraceOptions

    @Flag(help: "Print per-exit-kind statistics at the end.")
    var stats = false

    @Flag(name: .customLong("report-rss"), help: .hidden)
    var reportRSS = false

    @Flag(help: "With --stats: print the statistics as JSON.")
    var json = false

    @Option(help: "Serve the GDB remote protocol on this loopback TCP port (the guest's EL1 view).")
    var gdb: UInt16?

    @Flag(name: .customLong("wait-gdb"), help: "With --gdb: stop at the guest's first instruction until the debugger continues.")
    var waitGDB = false

    @Option(help: "Write the guest's console output to this file instead of stdout.")
    var serial: String?

    func validate() throws {
        if waitGDB && gdb == nil { throw ValidationError("--wait-gdb needs --gdb PORT") }
        if json && !stats { throw ValidationError("--json goes with --stats (or use 'el2emu stats --json')") }
    }

    func run() throws {
        let config = try guest.configuration(mode: design.mode)
        var debugger: GDBSession?
        var console = writeStandardOutput
        if let serial {
            let f = try openForWriting(serial, option: "--serial")
            console = { f.write(Data($0.utf8)) }
        }
        var hostConsole: HostConsole?
        defer { hostConsole?.restore() }
        var recorder: StatisticsRecorder?
        let result = try GuestRun.start(guest, config: config, trace: traceOptions, console: console) { vm in
            hostConsole = HostConsole(vm)
            if stats { recorder = StatisticsRecorder.attached(to: vm) }
            if let gdb {
                debugger = try GDBSession.attach(to: vm, port: gdb, waitForDebugger: waitGDB, log: writeStandardError)
            }
        }
        debugger?.finish(result.reason)
        if let recorder {
            let s = RunStatistics(recorder, mode: config.mode.rawValue, profile: config.profile.name)
            print(json ? s.json.serialized : StatisticsTable.render(s) + "\n\n" + result.vm.tvm.summary)
        }
        writeStandardError("el2emu: \(result.reason)\n")
        if reportRSS { writeStandardError("el2emu: peak RSS \(peakResidentKiB()) KiB\n") }
        throw ExitCode(result.reason.exitStatus)
    }
}

/// VmHWM from /proc/self/status: the most memory this process ever had resident.
func peakResidentKiB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return -1 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}
