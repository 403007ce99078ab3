import ArgumentParser
import EL2
import Foundation
import GuestBuild

/// el2emu: an ARMv8 EL2 virtualization emulator.
struct EL2Emu: ParsableCommand {
    static let version = "0.7.0"

    static let configuration = CommandConfiguration(
        commandName: "el2emu",
        abstract: "Run AArch64 guests under an emulated EL2, in split-mode (nVHE) or VHE, with every exit explained.",
        discussion: """
        Exit status: the guest's own status when it exits with 0 to 127 (semihosting
        SYS_EXIT or PSCI SYSTEM_OFF: 0); 125 when it exits with a status that does not
        fit (128 and above, negative); 124 when a limit stopped the run (--timeout,
        --max-insns, --max-cycles, --trace-limit, or a signal); 126 when the run
        stopped on an error (the guest did something el2emu does not model, a
        storm, the debugger killed it); 64 for a bad option or input file.
        """,
        version: "el2emu \(version) (Unicorn \(Processor.unicornVersion.major).\(Processor.unicornVersion.minor).\(Processor.unicornVersion.patch))",
        subcommands: [Run.self, Stats.self, Compare.self, DTB.self, Firmware.self],
        defaultSubcommand: Run.self)

    /// `el2emu runn`: a word that is no file and nearly a command is a typo, not an image.
    static func mistypedCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !FileManager.default.fileExists(atPath: first) else { return nil }
        let names = configuration.subcommands.map { $0._commandName }
        guard !names.contains(first), let near = nearestName(to: first, among: names) else { return nil }
        return "unknown command '\(first)': did you mean '\(near)'? (commands: \(names.joined(separator: ", ")))"
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if let typo = EL2Emu.mistypedCommand(arguments) {
    FileHandle.standardError.write(Data("Error: \(typo)\n".utf8))
    EL2Emu.exit(withError: ExitCode(64))
}
// An error found while running a subcommand (a bad value, a file) prints that
// subcommand's usage, not the top-level one.
var command: ParsableCommand
do {
    command = try EL2Emu.parseAsRoot(arguments)
} catch {
    EL2Emu.exit(withError: error)
}
do {
    try command.run()
} catch {
    // Help and exit codes, and errors of ArgumentParser's own commands (help), are its to print.
    let ours = EL2Emu.configuration.subcommands.contains { $0 == type(of: command) }
    if !ours || error is ExitCode || error is CleanExit { EL2Emu.exit(withError: error) }
    var text = "Error: \(EL2Emu.message(for: error))\n"
    if error is ValidationError {
        let name = type(of: command)._commandName
        let usage = type(of: command).usageString().split(separator: "\n").joined(separator: "\n  ")
        text += "Usage: el2emu \(name) \(usage.drop { $0 != " " }.dropFirst())\n  See 'el2emu \(name) --help' for more information.\n"
    }
    FileHandle.standardError.write(Data(text.utf8))
    // A bad option or input file (an image, a profile, a guest name): EX_USAGE.
    EL2Emu.exit(withError: ExitCode(64))
}
