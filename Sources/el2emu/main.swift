import EL2EmuCommands

el2emuMain(Array(CommandLine.arguments.dropFirst()))
