import Foundation
import XCTest

/// The Linux arm64 boot protocol as el2emu implements it for guests it did
/// not build: the generated device tree, its placement and x0, exit status.
final class BootProtocolTests: XCTestCase {
    func testGeneratedDeviceTreeReadsBackWithDtcWithoutWarnings() throws {
        let dtc = "/usr/bin/dtc"
        guard FileManager.default.isExecutableFile(atPath: dtc) else { throw XCTSkip("dtc (device-tree-compiler) is not installed") }
        let out = NSTemporaryDirectory() + "el2emu-\(getpid()).dtb"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try EL2EmuCommand.run(["dtb", "--out", out, "--cpus", "2", "--append", "console=ttyAMA0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dtc)
        p.arguments = ["-I", "dtb", "-O", "dts", out]
        let o = Pipe(), e = Pipe()
        p.standardOutput = o
        p.standardError = e
        try p.run()
        let dts = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let warnings = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(warnings, "", "dtc warned")
        for needle in ["arm,psci-1.0", "method = \"hvc\"", "enable-method = \"psci\"", "arm,gic-v3", "arm,armv8-timer", "arm,armv8-pmuv3",
                       "arm,pl011\\0arm,primecell", "arm,pl031", "stdout-path = \"/pl011@9000000\"",
                       "bootargs = \"console=ttyAMA0\"", "cpu@1", "memory@40000000",
                       "pci-host-ecam-generic", "bus-range = <0x00 0x0f>"] {
            XCTAssertTrue(dts.contains(needle), "missing \(needle) in\n\(dts)")
        }
    }

    func testGuestFindsItsPlatformThroughTheTreeInX0() throws {
        let r = try EL2EmuCommand.run(["run", "--guest", "devicetree", "--append", "bench=none"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS PSCI conduit is hvc"))
        XCTAssertTrue(r.stdout.contains("hello through the UART the tree names"))
        XCTAssertTrue(r.stdout.contains("bootargs: bench=none"))
        XCTAssertTrue(r.stderr.contains("PSCI SYSTEM_OFF"))
    }

    func testExitStatusLineMapsToProcessStatusLikeQEMUsTestDevice() throws {
        // EXIT: STATUS=5 is (2 << 1) | 1: el2emu exits with 5 >> 1 = 2.
        let r = try EL2EmuCommand.run(["run", "--guest", "devicetree", "--append", "status=5"])
        XCTAssertTrue(r.stdout.contains("EXIT: STATUS=5"))
        XCTAssertEqual(r.status, 2)
    }

    func testFlatBinaryLoadsAtTextOffsetWithFormatBinary() throws {
        let elf = try EL2EmuCommand.run(["firmware", "hello"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let bin = NSTemporaryDirectory() + "hello-\(getpid()).bin"
        defer { try? FileManager.default.removeItem(atPath: bin) }
        let objcopy = URL(fileURLWithPath: CLI.clang).deletingLastPathComponent().appendingPathComponent("llvm-objcopy").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: objcopy)
        p.arguments = ["-O", "binary", elf, bin]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let r = try EL2EmuCommand.run(["run", bin, "--format", "binary"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("PASS PSCI 1.0 over HVC"))
        let undetected = try EL2EmuCommand.run(["run", bin])
        XCTAssertNotEqual(undetected.status, 0)
        XCTAssertTrue(undetected.stderr.contains("not an ELF file or a Linux arm64 Image"), undetected.stderr)
    }
}
