import Foundation
import GuestBuild
import XCTest

/// `el2emu run` refuses a bad image with a message that names what is wrong
/// and a non-zero status, before any guest code runs.
final class BadImageTests: XCTestCase {
    /// Writes `bytes` to a scratch file and runs it.
    func run(_ name: String, _ bytes: [UInt8]) throws -> (path: String, result: EL2EmuCommand.Result) {
        let url = EL2EmuCommand.scratch(name)
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return (url.path, try EL2EmuCommand.run(["run", url.path]))
    }

    func assertRefused(_ r: EL2EmuCommand.Result, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 64, "exit status (a bad input file); stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), "stderr should say '\(message)', it says: \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", "no guest ran", file: file, line: line)
    }

    func testAWellFormedSyntheticELFRuns() throws {
        // The control: the images below differ from this one in one field each.
        let (_, r) = try run("good.elf", SyntheticELF().bytes)
        XCTAssertEqual(r.status, 7, r.stderr)
        XCTAssertTrue(r.stderr.contains("guest exited (semihosting SYS_EXIT) with status 7"))
    }

    func testMissingFile() throws {
        let path = EL2EmuCommand.scratch("does-not-exist.elf").path
        assertRefused(try EL2EmuCommand.run(["run", path]), "\(path): no such file")
    }

    func testDirectory() throws {
        let dir = EL2EmuCommand.scratch("a-directory")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        assertRefused(try EL2EmuCommand.run(["run", dir.path]), "\(dir.path): is a directory, not an image file")
    }

    func testEmptyFile() throws {
        let (path, r) = try run("empty.elf", [])
        assertRefused(r, "\(path): not an ELF file or a Linux arm64 Image")
        let url = EL2EmuCommand.scratch("empty.bin")
        try Data().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        assertRefused(try EL2EmuCommand.run(["run", "--format", "binary", url.path]), "\(url.path): empty file")
    }

    func testUnknownFormatIsRefused() throws {
        let r = try EL2EmuCommand.run(["run", "--format", "pe", "--guest", "hello"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("The value 'pe' is invalid for '--format <format>'. Please provide one of 'elf', 'image' or 'binary'."), r.stderr)
    }

    func testNotAnELFOrImage() throws {
        let (path, r) = try run("notes.txt", Array("just some text, not a kernel\n".utf8))
        assertRefused(r, "\(path): not an ELF file or a Linux arm64 Image")
    }

    func testTruncatedELFHeader() throws {
        let (path, r) = try run("short.elf", Array(SyntheticELF().bytes.prefix(20)))
        assertRefused(r, "\(path): truncated ELF header (20 bytes)")
    }

    func testELFClass32() throws {
        var elf = SyntheticELF()
        elf.elfClass = 1
        let (path, r) = try run("class32.elf", elf.bytes)
        assertRefused(r, "\(path): ELF class 1 is not ELFCLASS64 (a 32-bit ELF?)")
    }

    func testWrongMachine() throws {
        var elf = SyntheticELF()
        elf.machine = 62   // EM_X86_64
        let (path, r) = try run("x86.elf", elf.bytes)
        assertRefused(r, "\(path): ELF machine 62 is not AArch64 (183)")
    }

    func testRelocatableObjectIsNotAnExecutable() throws {
        var elf = SyntheticELF()
        elf.type = 1   // ET_REL: a .o file
        let (path, r) = try run("object.o", elf.bytes)
        assertRefused(r, "\(path): ELF type 1 is not an executable")
    }

    func testNoProgramHeaders() throws {
        var elf = SyntheticELF()
        elf.segments = []
        let (path, r) = try run("empty.elf", elf.bytes)
        assertRefused(r, "\(path): no program headers")
    }

    func testSegmentOutsideRAM() throws {
        var elf = SyntheticELF()
        elf.segments[0].address = 0x1000
        let (path, r) = try run("low.elf", elf.bytes)
        assertRefused(r, "\(path): segment at 0x1000 (size 0x20) lies outside guest RAM 0x40000000-0x48000000")
    }

    func testSegmentRunningPastTheEndOfRAM() throws {
        var elf = SyntheticELF()
        elf.segments[0].memorySize = 0x1000_0000   // 256 MiB from 0x40080000 into 128 MiB of RAM
        let (path, r) = try run("big.elf", elf.bytes)
        assertRefused(r, "\(path): segment at 0x40080000 (size 0x10000000) lies outside guest RAM 0x40000000-0x48000000 (try a larger --mem)")
    }

    func testRawImageLargerThanRAM() throws {
        var bytes = try [UInt8](Data(contentsOf: FirmwareBuilder().buildImage("image")))
        bytes.replaceSubrange(0x10..<0x18, with: le64(0x2000_0000))   // image_size: 512 MiB
        let (path, r) = try run("huge.bin", bytes)
        // text_offset 0x80000 + 512 MiB, in MiB rounded up.
        assertRefused(r, "\(path): the kernel needs 513 MiB of RAM for its image (text_offset + image_size from the Image header), more than --mem gives (128 MiB)")
    }

    func testEntryPointOutsideRAM() throws {
        var elf = SyntheticELF()
        elf.entry = 0x1000
        let (path, r) = try run("entry.elf", elf.bytes)
        assertRefused(r, "\(path): entry point 0x1000 lies outside guest RAM 0x40000000-0x48000000")
    }

    func testOverlappingSegments() throws {
        var elf = SyntheticELF()
        elf.segments.append(.init(address: 0x4008_0010, bytes: [UInt8](repeating: 0, count: 32)))
        let (path, r) = try run("overlap.elf", elf.bytes)
        assertRefused(r, "\(path): segments at 0x40080000 and 0x40080010 overlap")
    }

    func testTruncatedSegment() throws {
        var elf = SyntheticELF()
        elf.segments[0].fileSizeOverride = 0x1000   // the file holds only 32 bytes of it
        let bytes = elf.bytes
        let (path, r) = try run("truncated.elf", bytes)
        assertRefused(r, "\(path): segment 0 (file offset 0x78, 0x1000 bytes) is truncated: the file has \(bytes.count) bytes")
    }
}
