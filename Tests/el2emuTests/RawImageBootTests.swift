import GuestBuild
import XCTest

/// `el2emu run FILE` tells a raw Linux arm64 Image (magic "ARM\x64" at 0x38)
/// from an ELF and boots it at RAM base + text_offset.
final class RawImageBootTests: XCTestCase {
    func testRawImageIsDetectedByItsMagicAndBoots() throws {
        let image = try FirmwareBuilder().buildImage("image")
        let bytes = try [UInt8](Data(contentsOf: image))
        XCTAssertEqual(Array(bytes[0x38..<0x3C]), Array("ARM\u{64}".utf8), "the flat binary starts with the Image header")
        XCTAssertNotEqual(Array(bytes[0..<4]), [0x7F, 0x45, 0x4C, 0x46], "not an ELF")
        for mode in ["nvhe", "vhe"] {
            let r = try EL2EmuCommand.run(["run", image.path, "--mode", mode])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "Hello from a raw arm64 Image\nPASS loaded at RAM base + text_offset\nPASS runs at EL1\n")
        }
    }

    func testTheSameGuestBootsFromItsELF() throws {
        let elf = try FirmwareBuilder().build("image")
        let r = try EL2EmuCommand.run(["run", elf.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("Hello from a raw arm64 Image\nPASS loaded at RAM base + text_offset\n"))
    }

    func testImageWithoutItsHeaderIsRefusedUnlessFormatBinary() throws {
        // The same code with the 64-byte header cut off is neither an ELF nor an Image.
        let bytes = try [UInt8](Data(contentsOf: FirmwareBuilder().buildImage("image")))
        let url = EL2EmuCommand.scratch("headless.bin")
        try Data(bytes.dropFirst(64)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try EL2EmuCommand.run(["run", url.path])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("not an ELF file or a Linux arm64 Image (use --format binary for a flat binary)"), r.stderr)
    }
}

/// `--load-address` places a flat binary where the user says (QEMU's
/// `-device loader,addr=`) and `--regs` sets x0-x3 at entry.
final class LoadAddressAndEntryRegisterTests: XCTestCase {
    func testAFlatBinaryRunsWhereItIsPlacedWithTheRegistersGiven() throws {
        // hvc #0; b .  — x0 selects the PSCI function the hypervisor answers.
        let url = EL2EmuCommand.scratch("hvc.bin")
        try Data([0x02, 0x00, 0x00, 0xD4, 0x00, 0x00, 0x00, 0x14]).write(to: url)
        let trace = EL2EmuCommand.scratch("hvc.txt")
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: trace) }
        let r = try EL2EmuCommand.run(["run", url.path, "--format", "binary", "--load-address", "0x40200000",
                                       "--regs", "x0=0x84000000,x3=7", "--max-insns", "50", "--trace", trace.path])
        XCTAssertEqual(r.status, 124, r.stderr)
        let text = try String(contentsOf: trace, encoding: .utf8)
        XCTAssertTrue(text.contains("exit      pc=0x40200004 HVC64 HVC PSCI_VERSION"), text)
    }

    func testBadPlacementsAndRegistersAreRefused() throws {
        let url = EL2EmuCommand.scratch("spin.bin")
        try Data([0x00, 0x00, 0x00, 0x14]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let cases: [([String], String)] = [
            (["--load-address", "0x10"], "segment at 0x10 (size 0x4) lies outside guest RAM"),
            (["--load-address", "0x40200002"], "--load-address 0x40200002 is not 4-byte aligned"),
            (["--load-address", "nowhere"], "--load-address must be a number, e.g. 0x40200000, not 'nowhere'"),
            (["--regs", "x4=1"], "bad --regs entry 'x4=1': use x0=VALUE to x3=VALUE"),
            (["--regs", "x1=0x1ffffffffffffffff"], "bad --regs entry 'x1=0x1ffffffffffffffff'"),
        ]
        for (options, message) in cases {
            let r = try EL2EmuCommand.run(["run", url.path, "--format", "binary"] + options)
            XCTAssertEqual(r.status, 64, "\(options): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(options): \(r.stderr)")
        }
        let elf = try EL2EmuCommand.run(["run", "--guest", "hello", "--load-address", "0x40200000"])
        XCTAssertTrue(elf.stderr.contains("--load-address places a flat binary (--format binary) only"), elf.stderr)
    }
}
