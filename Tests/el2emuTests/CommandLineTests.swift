import Foundation
import XCTest

/// Tools the command-line tests use beside `el2emu` (which EL2EmuCommand runs).
enum CLI {
    /// The toolchain's clang (llvm-objcopy lives beside it).
    static var clang: String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/swift") && FileManager.default.isExecutableFile(atPath: "\(dir)/clang") { return "\(dir)/clang" }
        }
        return "/usr/bin/clang"
    }
}

final class CommandLineTests: XCTestCase {
    func testDefaultRunBootsTheHelloGuest() throws {
        let r = try EL2EmuCommand.run(["run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Hello from an EL1 guest"))
        XCTAssertTrue(r.stdout.contains("PL011: hello"))
        XCTAssertTrue(r.stderr.contains("guest exited (semihosting SYS_EXIT) with status 0"))
    }

    func testCompareTableListsThePublishedNumbers() throws {
        let r = try EL2EmuCommand.run(["compare"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Hypercall"))
        XCTAssertTrue(r.stdout.contains("6413"))
        XCTAssertTrue(r.stdout.contains("752"))
    }
}
