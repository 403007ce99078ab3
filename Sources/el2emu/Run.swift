import AArch64
import ArgumentParser
import EL2
import Foundation
import GuestBuild
import Hypervisor
import Trace

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Boot a guest image (ELF, arm64 Image) and run it to the end.")

    @Argument(help: "The guest image (ELF64 AArch64 or Linux arm64 Image). Default: the built-in 'hello' firmware guest.")
    var image: String?

    @Option(help: "Run a guest from Firmware/guests by name (built from source first).")
    var guest: String?

    @Option(help: "Design: nvhe (split mode, ARMv8.0) or vhe (ARMv8.1).")
    var mode: String = "nvhe"

    @Option(help: "Number of vCPUs (1-8); secondaries start with PSCI CPU_ON.")
    var cpus: Int = 1

    @Option(help: "Guest RAM size, e.g. 128M, 2G.")
    var mem: String = "128M"

    @Option(help: "Image format: elf, image or binary (default: detected).")
    var format: String?

    @Option(help: "HCR_EL2 trap bits to force on/off for the guest, e.g. +TWI,-TVM.")
    var hcr: String?

    @Option(help: "Cost profile: a57, xgene, or a JSON file.")
    var profile: String = "a57"

    @Option(name: .customLong("max-insns"), help: "Stop after this many guest instructions.")
    var maxInstructions: UInt64?

    @Option(name: .customLong("max-cycles"), help: "Stop after this much virtual time (cycles).")
    var maxCycles: UInt64?

    @Option(help: "Stop after this many seconds of host time.")
    var timeout: Double?

    @Option(help: "Write a trace of every event to this file.")
    var trace: String?

    @Flag(help: "Print per-exit-kind statistics at the end.")
    var stats = false

    func run() throws {
        var config = Configuration()
        guard let m = VirtualizationMode(rawValue: mode) else { throw ValidationError("--mode must be nvhe or vhe, not '\(mode)'") }
        config.mode = m
        config.ramSize = try parseSize(mem)
        config.cpus = cpus
        if let hcr { (config.hcrSet, config.hcrClear) = try parseHCR(hcr) }
        config.profile = try CostProfile.named(profile)
        if let maxInstructions { config.maxInstructions = maxInstructions }
        if let maxCycles { config.maxCycles = maxCycles }
        if let timeout { config.timeoutSeconds = timeout }

        let path: String
        if let image { path = image } else { path = try FirmwareBuilder().build(guest ?? "hello").path }
        let loaded = try GuestImage.load(path: path, ramBase: config.ramBase, ramSize: config.ramSize,
                                         format: format.flatMap { GuestImage.Format(rawValue: $0) })
        let vm = try VirtualMachine(config)
        vm.console = { s in FileHandle.standardOutput.write(Data(s.utf8)) }
        var traceFile: FileHandle?
        if let trace {
            guard FileManager.default.createFile(atPath: trace, contents: nil), let h = FileHandle(forWritingAtPath: trace) else {
                throw ValidationError("cannot write the trace file '\(trace)'")
            }
            traceFile = h
            vm.events.observers.append { e in h.write(Data((TextFormatter.line(e) + "\n").utf8)) }
        }
        try vm.load(loaded)
        let reason = vm.run(entry: loaded.entry)
        try? traceFile?.close()
        if stats { print(StatisticsTable.render(vm.ledger)) }
        FileHandle.standardError.write(Data("el2emu: \(reason)\n".utf8))
        throw ExitCode(reason.exitStatus)
    }
}

func parseSize(_ s: String) throws -> UInt64 {
    let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = s.uppercased()
    var scale: UInt64 = 1
    if let last = digits.last, let u = units[last] { scale = u; digits.removeLast() }
    guard let n = UInt64(digits), n > 0 else { throw ValidationError("bad size '\(s)': use e.g. 128M or 2G") }
    let (v, o) = n.multipliedReportingOverflow(by: scale)
    guard !o, v <= Configuration.maxRAM else { throw ValidationError("--mem \(s) is more than the \(Configuration.maxRAM >> 30) GiB el2emu allows") }
    return v
}

func parseHCR(_ s: String) throws -> (HCR, HCR) {
    var set: HCR = [], clear: HCR = []
    for item in s.split(separator: ",") {
        let t = item.trimmingCharacters(in: .whitespaces)
        guard let sign = t.first, sign == "+" || sign == "-", let bit = HCR.named(String(t.dropFirst())) else {
            throw ValidationError("bad --hcr entry '\(t)': use +NAME or -NAME with NAME one of \(HCR.named.map(\.0).joined(separator: ", "))")
        }
        if sign == "+" { set.insert(bit) } else { clear.insert(bit) }
    }
    return (set, clear)
}
