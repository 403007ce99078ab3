import AArch64
import ArgumentParser
@testable import EL2EmuCommands
import Hypervisor
import Trace
import XCTest

/// The options with a fixed set of values, parsed in-process as the
/// command line does: every value each takes, and a bad one refused in one
/// line that names the option and its values.
final class OptionParsingTests: XCTestCase {
    func testEveryModeParsesForEveryCommandThatTakesOne() throws {
        for mode in VirtualizationMode.allCases {
            XCTAssertEqual(try Run.parse(["--mode", mode.rawValue]).design.mode, mode)
            XCTAssertEqual(try Stats.parse(["--mode", mode.rawValue]).design.mode, mode)
            XCTAssertEqual(try Run.parse([]).guest.configuration(mode: mode).mode, mode)
        }
        XCTAssertEqual(try Run.parse([]).design.mode, .nvhe)
    }

    func testChoicesBecomeTheirValues() throws {
        for format in TraceFormat.allCases {
            XCTAssertEqual(try Run.parse(["--trace-format", format.rawValue]).traceOptions.traceFormat, format)
        }
        for event in StatisticsTable.Event.allCases { XCTAssertEqual(try Stats.parse(["--event", event.rawValue]).event, event) }
        for key in RunStatistics.SortKey.allCases { XCTAssertEqual(try Stats.parse(["--key", key.rawValue]).key, key) }
        for format in GuestImage.Format.allCases { XCTAssertEqual(try Run.parse(["--format", format.rawValue]).guest.format, format) }
        XCTAssertEqual(try Run.parse(["--ipa-bits", "32"]).guest.configuration(mode: .nvhe).vtcr, .ipa32BitLevel2)
        XCTAssertEqual(try Run.parse([]).guest.configuration(mode: .nvhe).vtcr, .kvm40BitIPA)
        XCTAssertEqual(try Run.parse(["--entry-el", "2"]).guest.configuration(mode: .vhe).entryEL, 2)
        XCTAssertEqual(try Run.parse([]).guest.configuration(mode: .vhe).entryEL, 1)
    }

    func testABadValueIsOneLineNamingTheOptionAndItsValues() {
        let cases: [(ParsableCommand.Type, [String], String)] = [
            (Run.self, ["--mode", "VHE"], "The value 'VHE' is invalid for '--mode <mode>'. Please provide one of 'nvhe' and 'vhe'."),
            (Stats.self, ["--mode", "kvm"], "The value 'kvm' is invalid for '--mode <mode>'. Please provide one of 'nvhe' and 'vhe'."),
            (Run.self, ["--trace-format", "csv"], "The value 'csv' is invalid for '--trace-format <trace-format>'. Please provide one of 'text', 'jsonl' or 'perfetto'."),
            (Stats.self, ["--key", "mean"], "The value 'mean' is invalid for '--key <key>'. Please provide one of 'sample' and 'time'."),
            (Compare.self, ["--entry-el", "3"], "The value '3' is invalid for '--entry-el <entry-el>'. Please provide one of '1' and '2'."),
            (DTB.self, ["--out", "x", "--gic-version", "4"], "The value '4' is invalid for '--gic-version <gic-version>'. Please provide one of '2' and '3'."),
        ]
        for (command, arguments, message) in cases {
            XCTAssertThrowsError(try command.parse(arguments), "\(arguments)") { error in
                XCTAssertEqual(command.message(for: error), message)
            }
        }
    }

    func testGICv2IsTakenAndRefusedWithTheReasonWithoutStage2() throws {
        XCTAssertEqual(try Run.parse(["--gic-version", "2"]).guest.configuration(mode: .nvhe).gicVersion, 2)
        XCTAssertEqual(try Run.parse(["--gic-version", "2", "--entry-el", "2"]).guest.configuration(mode: .vhe).gicVersion, 2)
        XCTAssertThrowsError(try Run.parse(["--gic-version", "2", "--hcr", "-VM"]).guest.configuration(mode: .nvhe)) { error in
            XCTAssertEqual(Run.message(for: error), "--gic-version 2 with --hcr -VM: the guest's GICC is the GICV frame mapped at stage 2, which -VM turns off")
        }
    }

    func testTheSchedulersSliceIsTakenWithinItsBounds() throws {
        XCTAssertEqual(try Run.parse([]).guest.configuration(mode: .nvhe).quantum, 5_000)
        XCTAssertEqual(try Run.parse(["--quantum", "2500"]).guest.configuration(mode: .vhe).quantum, 2_500)
        XCTAssertThrowsError(try Run.parse(["--quantum", "5"]).guest.configuration(mode: .nvhe)) { error in
            XCTAssertEqual(Run.message(for: error), "--quantum must be 100 to 100000000 cycles, not 5")
        }
    }

    /// `--mte` (QEMU's mte=on) gives the guest FEAT_MTE3 and KVM's HCR_EL2.ATA, where the
    /// Unicorn can have it (2.1); on 2.0 it is refused in one line saying why.
    func testMTEIsTakenOrRefusedWithTheReason() throws {
        XCTAssertFalse(try Run.parse([]).guest.configuration(mode: .nvhe).guestHCR.contains(.ATA))
        if let why = Configuration.mteUnavailable {
            XCTAssertThrowsError(try Run.parse(["--mte"]).guest.configuration(mode: .nvhe)) { error in
                XCTAssertEqual(Run.message(for: error), "--mte: \(why)")
            }
        } else {
            let c = try Run.parse(["--mte"]).guest.configuration(mode: .vhe)
            XCTAssertTrue(c.mte && c.guestHCR.contains(.ATA))
        }
    }
}
