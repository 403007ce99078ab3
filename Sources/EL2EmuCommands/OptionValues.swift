import AArch64
import ArgumentParser
import Hypervisor
import Trace

// Options with a fixed set of values are enums that ArgumentParser parses:
// a bad value is refused before anything runs, in one line naming the
// option and the values it takes, and --help lists them.

extension VirtualizationMode: ExpressibleByArgument {}
extension TraceFormat: ExpressibleByArgument {}
extension StatisticsTable.Event: ExpressibleByArgument {}
extension RunStatistics.SortKey: ExpressibleByArgument {}
extension GuestImage.Format: ExpressibleByArgument {}

/// `--mode`: the design of one run, declared once for every command that runs one design.
struct ModeOptions: ParsableArguments {
    @Option(help: "Design: nvhe (split mode, ARMv8.0) or vhe (ARMv8.1).")
    var mode: VirtualizationMode = .nvhe
}

/// `--entry-el`: the exception level the guest starts at.
enum EntryLevel: Int, CaseIterable, ExpressibleByArgument {
    case el1 = 1, el2 = 2
}

/// `--ipa-bits`: the stage-2 input size, as VTCR_EL2 sets it.
enum IPASize: Int, CaseIterable, ExpressibleByArgument {
    case bits40 = 40, bits32 = 32

    var vtcr: VTCR { self == .bits40 ? .kvm40BitIPA : .ipa32BitLevel2 }
}

/// `--gic-version`, QEMU's -machine gic-version=N. Version 2 is parsed
/// only to be refused with the reason; 3 is the one value offered.
enum GICVersion: Int, CaseIterable, ExpressibleByArgument {
    case v2 = 2, v3 = 3

    static var allValueStrings: [String] { ["2", "3"] }
}
