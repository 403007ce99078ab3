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
