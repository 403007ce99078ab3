import Foundation
import XCTest

/// Runs the built `el2emu` binary as a user would.
enum CLI {
    static var binary: URL {
        if let b = ProcessInfo.processInfo.environment["EL2EMU_BIN"] { return URL(fileURLWithPath: b) }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        dir = dir.deletingLastPathComponent().deletingLastPathComponent()
        return dir.appendingPathComponent(".build/debug/el2emu")
    }

    /// The toolchain's clang (llvm-objcopy lives beside it).
    static var clang: String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/swift") && FileManager.default.isExecutableFile(atPath: "\(dir)/clang") { return "\(dir)/clang" }
        }
        return "/usr/bin/clang"
    }

    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

final class CommandLineTests: XCTestCase {
    func testDefaultRunBootsTheHelloGuest() throws {
        let r = try CLI.run(["run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Hello from an EL1 guest"))
        XCTAssertTrue(r.stdout.contains("PL011: hello"))
        XCTAssertTrue(r.stderr.contains("guest exited (semihosting SYS_EXIT) with status 0"))
    }

    func testCompareTableListsThePublishedNumbers() throws {
        let r = try CLI.run(["compare"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Hypercall"))
        XCTAssertTrue(r.stdout.contains("6413"))
        XCTAssertTrue(r.stdout.contains("752"))
    }
}
