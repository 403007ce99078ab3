import Foundation
import XCTest

/// The hardware/software line, checked on the sources: SwiftPM lets a target
/// import any module its dependencies depend on (a Hypervisor file with
/// `import Unicorn` builds), so the compiler alone does not keep the layers.
/// Every `import` in Sources/<Module>/**/*.swift that names one of our
/// modules must be allowed below; imports of other modules (Foundation,
/// Glibc, ArgumentParser) are not ours to check.
final class ModuleLayeringTests: XCTestCase {
    /// Which of our modules each module may import. A module in Sources/
    /// that is not listed fails the test: a new module takes its place in
    /// the layers deliberately, here. A listed module that does not exist
    /// (yet) is fine.
    static let allowed: [String: Set<String>] = [
        // The C shim over libunicorn: no Swift.
        "CUnicorn": [],
        // The only Swift that touches Unicorn.
        "Unicorn": ["CUnicorn"],
        // ISA facts: imports nothing of ours.
        "AArch64": [],
        // The emulated hardware: knows no software, no prices.
        "EL2": ["AArch64", "Unicorn"],
        // The cost model (ledger, profiles, phases, published tables), when
        // it is a module: prices operations, knows only the ISA.
        "CostModel": ["AArch64"],
        // The software: sees the machine through EL2 only, never Unicorn.
        "Hypervisor": ["EL2", "AArch64", "CostModel"],
        // Above the hypervisor: traces and reports, the GDB stub, the command line.
        "Trace": ["Hypervisor", "EL2", "AArch64", "CostModel"],
        "GDBRemote": ["Hypervisor", "EL2", "AArch64"],
        "GuestBuild": [],
        "EL2EmuCommands": ["Hypervisor", "EL2", "AArch64", "CostModel", "Trace", "GDBRemote", "GuestBuild"],
        "el2emu": ["EL2EmuCommands"],
        // The benchmark compares el2emu with bare Unicorn running the same
        // loop: the one module besides EL2 allowed the Unicorn layer.
        "el2emu-bench": ["Unicorn", "EL2", "AArch64", "CostModel", "Hypervisor", "Trace", "GuestBuild"],
    ]

    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// `import X`, `@testable import X`, `public import X`, `import struct X.Y`: the module X.
    static func importedModule(_ line: Substring) -> String? {
        var words = line.split(whereSeparator: \.isWhitespace)[...]
        while let w = words.first, w.hasPrefix("@") || ["public", "package", "internal", "fileprivate", "private"].contains(w) {
            words = words.dropFirst()
        }
        guard words.first == "import" else { return nil }
        words = words.dropFirst()
        if let w = words.first, ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"].contains(w) { words = words.dropFirst() }
        return words.first.map { String($0.prefix { $0 != "." && $0 != ";" }) }
    }

    /// Each module's Swift files and the modules of ours they import.
    static func imports() throws -> [(module: String, file: String, imported: String)] {
        let fm = FileManager.default
        var found: [(String, String, String)] = []
        for module in try fm.contentsOfDirectory(atPath: sources.path).sorted() {
            let dir = sources.appendingPathComponent(module)
            guard let files = fm.enumerator(atPath: dir.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    if let m = importedModule(line) { found.append((module, "\(module)/\(file)", m)) }
                }
            }
        }
        return found
    }

    func testEveryModuleIsInTheLayerMap() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter { !$0.hasPrefix(".") }
        XCTAssertFalse(modules.isEmpty, "no modules in \(Self.sources.path)")
        for module in modules.sorted() {
            XCTAssertNotNil(Self.allowed[module], "Sources/\(module) is not in ModuleLayeringTests.allowed: add it with the modules it may import")
        }
    }

    func testEveryImportOfOurModulesIsAllowed() throws {
        let ours = Set(Self.allowed.keys).union(try FileManager.default.contentsOfDirectory(atPath: Self.sources.path))
        let imports = try Self.imports()
        XCTAssertTrue(imports.contains { $0.module == "Hypervisor" && $0.imported == "EL2" }, "the import lines were read")
        for (module, file, imported) in imports where ours.contains(imported) && imported != module {
            guard let allowed = Self.allowed[module] else { continue }   // reported by the test above
            XCTAssertTrue(allowed.contains(imported), "\(file) imports \(imported): \(module) may import only \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func testImportLinesAreRecognisedInEveryForm() {
        XCTAssertEqual(Self.importedModule("import Unicorn"), "Unicorn")
        XCTAssertEqual(Self.importedModule("  @testable import EL2"), "EL2")
        XCTAssertEqual(Self.importedModule("@_exported public import CUnicorn"), "CUnicorn")
        XCTAssertEqual(Self.importedModule("import struct Unicorn.Engine"), "Unicorn")
        XCTAssertEqual(Self.importedModule("internal import Unicorn;"), "Unicorn")
        XCTAssertNil(Self.importedModule("// import Unicorn"))
        XCTAssertNil(Self.importedModule("let important = 1"))
    }
}
