import Foundation
import XCTest

/// Runs the built `el2emu` executable as a user would and captures what it
/// prints and its exit status.
struct EL2EmuCommand {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable beside this test bundle (SwiftPM puts both in the same
    /// build directory), else `EL2EMU_BIN`, else the repository's .build/debug.
    static var executable: URL? {
        let fm = FileManager.default
        if let b = ProcessInfo.processInfo.environment["EL2EMU_BIN"] { return URL(fileURLWithPath: b) }
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL { candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("el2emu")) }
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("el2emu")) }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(repo.appendingPathComponent(".build/debug/el2emu"))
        return candidates.first { fm.isExecutableFile(atPath: $0.path) }
    }

    static func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let exe = try XCTUnwrap(executable, "el2emu is not built (swift build --product el2emu)", file: file, line: line)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("el2emu-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return Result(status: p.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// A scratch file for a test's input or output.
    static func scratch(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("el2emu-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }
}
