import Foundation
import XCTest

/// The command line helps as users of QEMU and git expect: a version, a
/// suggestion for a typo, the subcommand's usage after a bad value.
final class CommandLineHelpTests: XCTestCase {
    func testVersionNamesEl2emuAndTheUnicornItRunsOn() throws {
        let r = try EL2EmuCommand.run(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertNotNil(r.stdout.range(of: #"^el2emu \d+\.\d+\.\d+ \(Unicorn 2\.\d+\.\d+\)\n$"#, options: .regularExpression), r.stdout)
    }

    func testAMistypedCommandIsNamedWithTheNearestOne() throws {
        let r = try EL2EmuCommand.run(["runn"])
        XCTAssertEqual(r.status, 64)
        XCTAssertEqual(r.stderr, "Error: unknown command 'runn': did you mean 'run'? (commands: run, stats, compare, dtb, firmware)\n")
        XCTAssertTrue(try EL2EmuCommand.run(["stat", "--json"]).stderr.contains("did you mean 'stats'?"))
    }

    func testAMistypedGuestNameSuggestsTheNearestAndListsThemAll() throws {
        let r = try EL2EmuCommand.run(["run", "--guest", "daifmsk"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("no firmware guest named 'daifmsk': did you mean 'daifmask'? the guests are "), r.stderr)
        XCTAssertTrue(r.stderr.contains(" daifloop, daifmask, "), r.stderr)
        XCTAssertFalse(r.stderr.contains("Usage:"), "a bad file or name is not a usage error")
    }

    func testAValueErrorShowsTheSubcommandsUsage() throws {
        let r = try EL2EmuCommand.run(["stats", "--cpus", "9"])
        XCTAssertEqual(r.status, 64)
        XCTAssertEqual(r.stderr, "Error: --cpus must be 1 to 8, not 9\nUsage: el2emu stats [<options>] [<image>]\n  See 'el2emu stats --help' for more information.\n")
    }

    func testForcedELFFormatOnAFileThatIsNoELFSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("el2emu-notelf-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("notes.txt").path
        try "just some text, long enough to be mistaken for a header\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try EL2EmuCommand.run(["run", path, "--format", "elf"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("\(path): not an ELF file (no \\x7fELF magic)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("32-bit"), r.stderr)
    }

    func testHelpDocumentsExitCodesAndCompareItsOwnDefaultGuest() throws {
        let top = try EL2EmuCommand.run(["--help"])
        XCTAssertEqual(top.status, 0)
        for code in ["124", "125", "126", "64"] { XCTAssertTrue(top.stdout.contains(code), "exit status \(code) is documented") }
        let help = try EL2EmuCommand.run(["compare", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(help.contains("(for compare: the micro-benchmark guest)"), help)
    }
}

/// Output files are written in place: a path that is a symlink (or /dev/null,
/// or a FIFO) stays what it is. Replacing it with a new file, as
/// FileManager.createFile does, once turned /dev/null into a regular file.
final class OutputFileTests: XCTestCase {
    func testDTBOutputThroughASymlinkWritesTheTargetAndKeepsTheLink() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("el2emu-out-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target.dtb"), link = dir.appendingPathComponent("link.dtb")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let r = try EL2EmuCommand.run(["dtb", "--out", link.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: link.path)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink, "the link is still a link")
        let blob = try Data(contentsOf: target)
        XCTAssertEqual(Array(blob.prefix(4)), [0xD0, 0x0D, 0xFE, 0xED], "the tree went to the link's target")
    }
}
