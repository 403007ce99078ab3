import ArgumentParser

/// el2emu: an ARMv8 EL2 virtualization emulator.
struct EL2Emu: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "el2emu",
        abstract: "Run AArch64 guests under an emulated EL2, in split-mode (nVHE) or VHE, with every exit explained.",
        subcommands: [Run.self, Stats.self, Compare.self, DTB.self, Firmware.self],
        defaultSubcommand: Run.self)
}

EL2Emu.main()
