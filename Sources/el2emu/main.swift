import ArgumentParser

/// el2emu: an ARMv8 EL2 virtualization emulator.
struct EL2Emu: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "el2emu",
        abstract: "Run AArch64 guests under an emulated EL2, in split-mode (nVHE) or VHE, with every exit explained.",
        discussion: exitStatusHelp,
        subcommands: [Run.self, Stats.self, Compare.self, DTB.self, Firmware.self],
        defaultSubcommand: Run.self)
}

/// The exit statuses of a run (README, "Exit status"): the same list in every command's --help.
let exitStatusHelp = """
    Exit status: 0 only when the guest exits with status 0; 1-63 the guest's \
    status (a guest status outside 1-63 gives 63); 1 also when an image or \
    file cannot be used; 64 a bad option; 124 a limit ended the run \
    (--max-insns, --max-cycles, --timeout, --trace-limit); 125 a deadlock \
    (WFI nothing can wake); 126 an error (the guest did what el2emu cannot \
    continue from); 128+N signal N (130 SIGINT, 143 SIGTERM), the trace so \
    far kept.
    """

EL2Emu.main()
