import Foundation
import XCTest

/// `--initrd`: placed in guest RAM as QEMU's arm boot places it and named in
/// /chosen the way QEMU names it (checked against QEMU's own dumped tree for
/// the same kernel, initrd and RAM), with `el2emu dtb` taking the board
/// options `run` does; and the bad inputs around it refused in one line.
final class InitrdTests: XCTestCase {
    /// A Linux arm64 Image header (booting.rst) whose image_size is `imageSize`, then a `b .`.
    func image(imageSize: UInt64) throws -> URL {
        var b = [UInt8](repeating: 0, count: 4096)
        func put(_ v: UInt64, at o: Int, _ n: Int) { for i in 0..<n { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
        put(0x1400_0000, at: 0, 4)        // b .
        put(imageSize, at: 16, 8)
        put(0x644D_5241, at: 0x38, 4)     // "ARM\x64"
        let url = EL2EmuCommand.scratch("Image-\(imageSize)")
        try Data(b).write(to: url)
        return url
    }

    func file(_ name: String, bytes: Int) throws -> URL {
        let url = EL2EmuCommand.scratch(name)
        try Data(repeating: 0x5A, count: bytes).write(to: url)
        return url
    }

    /// /chosen's initrd properties as dtc prints them.
    func initrdLines(_ dtb: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/dtc")
        p.arguments = ["-q", "-I", "dtb", "-O", "dts", dtb]
        let o = Pipe()
        p.standardOutput = o
        try p.run()
        let dts = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return dts.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("linux,initrd-") }.sorted()
    }

    func testInitrdIsPlacedAndNamedAsQEMUDoes() throws {
        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu), FileManager.default.isExecutableFile(atPath: "/usr/bin/dtc") else {
            throw XCTSkip("qemu-system-aarch64 and dtc are needed (scripts/install-deps.sh --test)")
        }
        let initrd = try file("initrd", bytes: 10_000)
        // 256 MiB: QEMU's 128 MiB cap; 64 MiB: half of RAM.
        for mem in ["256M", "64M"] {
            let kernel = try image(imageSize: 0x20_0000)
            let ours = EL2EmuCommand.scratch("ours.dtb").path, theirs = EL2EmuCommand.scratch("qemu.dtb").path
            let r = try EL2EmuCommand.run(["dtb", "--out", ours, kernel.path, "--mem", mem, "--initrd", initrd.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: qemu)
            p.arguments = ["-M", "virt,gic-version=3,dumpdtb=\(theirs)", "-cpu", "cortex-a57", "-m", mem, "-nographic",
                           "-kernel", kernel.path, "-initrd", initrd.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            let q = try initrdLines(theirs)
            XCTAssertEqual(q.count, 2, "QEMU's tree names the initrd")
            XCTAssertEqual(try initrdLines(ours), q, "--mem \(mem)")
        }
        // A kernel reaching past half of RAM: the initrd follows it (QEMU loads an
        // Image with text_offset 0 at RAM + 2 MiB, el2emu at RAM, so the addresses differ by that).
        let ours = EL2EmuCommand.scratch("ours.dtb").path
        let r = try EL2EmuCommand.run(["dtb", "--out", ours, try image(imageSize: 0x280_0000).path, "--mem", "64M", "--initrd", initrd.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try initrdLines(ours), ["linux,initrd-end = <0x42802710>;", "linux,initrd-start = <0x42800000>;"])
    }

    func testLinuxBadInputsAreOneLineEach() throws {
        let kernel = try image(imageSize: 0x20_0000)
        func refused(_ args: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try EL2EmuCommand.run(args)
            XCTAssertEqual(r.status, 64, r.stderr, file: file, line: line)
            XCTAssertTrue(r.stderr.contains(message), r.stderr, file: file, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
            XCTAssertEqual(r.stdout, "", file: file, line: line)
        }
        let big = try file("big-initrd", bytes: 17 << 20)
        try refused(["run", kernel.path, "--mem", "16M", "--initrd", big.path], "the initrd (17 MiB) is larger than guest RAM (16 MiB, --mem)")
        let half = try file("half-initrd", bytes: 10 << 20)
        try refused(["run", kernel.path, "--mem", "16M", "--initrd", half.path], "does not fit in guest RAM between the kernel's end (0x40200000) and 0x41000000; lower it would overlap the kernel")
        let huge = try image(imageSize: 40 << 20)
        try refused(["run", huge.path, "--mem", "32M"], "the kernel needs 40 MiB of RAM for its image")
        try refused(["run", "/bin/sh"], "is not AArch64 (183)")
        try refused(["run", kernel.path, "--initrd", EL2EmuCommand.scratch("missing").path], "missing: cannot read the initrd")
    }
}
