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
        discussion: exitStatusHelp,
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

/// The exit statuses of a run (README, "Exit status"): the same list in every command's --help.
let exitStatusHelp = """
    Exit status: 0 only when the guest exits with status 0; 1-63 the guest's \
    status (a guest status outside 1-63 gives 63); 64 a bad option or input \
    file (image, profile, device tree, guest name); 124 a limit ended the run \
    (--max-insns, --max-cycles, --timeout, --trace-limit); 125 a deadlock \
    (WFI nothing can wake); 126 an error (the guest did what el2emu cannot \
    continue from); 128+N signal N (130 SIGINT, 143 SIGTERM), the trace so \
    far kept.
    """

/// The `el2emu` executable: parse `arguments` (without the program name),
/// run the command, and exit with its status.
public func el2emuMain(_ arguments: [String]) -> Never {
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
    EL2Emu.exit()
}
