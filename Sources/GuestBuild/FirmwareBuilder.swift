import Foundation

/// Builds the guests in `Firmware/` from source with the Swift toolchain's
/// clang and ld.lld for aarch64-none-elf. Outputs go to `.build/firmware/`
/// and are rebuilt when a source is newer than the ELF.
public struct FirmwareBuilder {
    public let firmwareDirectory: URL
    public let outputDirectory: URL

    public struct BuildError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The repository's `Firmware/` folder, found from this source file or `EL2EMU_FIRMWARE`.
    public init(root: URL? = nil) {
        let repo = root ?? ProcessInfo.processInfo.environment["EL2EMU_ROOT"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        firmwareDirectory = repo.appendingPathComponent("Firmware")
        outputDirectory = repo.appendingPathComponent(".build/firmware")
    }

    /// The names of the guests in `Firmware/guests/`.
    public var guests: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: firmwareDirectory.appendingPathComponent("guests").path)) ?? []
        return Set(files.compactMap { f -> String? in
            f.hasSuffix(".c") || f.hasSuffix(".S") ? String(f.dropLast(2)) : nil
        }).sorted()
    }

    /// Builds guest `name` (Firmware/guests/NAME.c or NAME.S, linked with
    /// Firmware/common) and returns the ELF's path.
    public func build(_ name: String) throws -> URL {
        let fm = FileManager.default
        let guestDir = firmwareDirectory.appendingPathComponent("guests")
        let main = [".c", ".S"].map { guestDir.appendingPathComponent(name + $0) }.first { fm.fileExists(atPath: $0.path) }
        guard let main else {
            let hint = nearestName(to: name, among: guests).map { "did you mean '\($0)'? " } ?? ""
            throw BuildError(description: "no firmware guest named '\(name)': \(hint)the guests are \(guests.joined(separator: ", "))")
        }
        let common = firmwareDirectory.appendingPathComponent("common")
        let commonFiles = ((try? fm.contentsOfDirectory(atPath: common.path)) ?? []).sorted().map { common.appendingPathComponent($0) }
        let commonSources = commonFiles.filter { $0.pathExtension == "c" || $0.pathExtension == "S" }
        let linker = common.appendingPathComponent("link.ld")
        let out = outputDirectory.appendingPathComponent(name + ".elf")
        try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)

        // Every common file (headers included) and the guest sources `main` includes.
        let inputs = includedGuestSources(main) + commonFiles
        if let built = modified(out), inputs.allSatisfy({ (modified($0) ?? .distantFuture) < built }) { return out }

        let tmp = outputDirectory.appendingPathComponent("\(name).\(ProcessInfo.processInfo.processIdentifier).tmp")
        let args = ["--target=aarch64-none-elf", "-march=armv8-a", "-mgeneral-regs-only", "-ffreestanding",
                    "-fno-builtin", "-nostdlib", "-static", "-O2", "-g0", "-fuse-ld=lld",
                    "-Wl,--build-id=none", "-Wl,-T," + linker.path, "-I", common.path, "-o", tmp.path]
            + ([main] + commonSources).map(\.path)
        try run(clang(), args)
        _ = try? fm.removeItem(at: out)
        try fm.moveItem(at: tmp, to: out)
        return out
    }

    /// Builds the teaching hypervisor (`Firmware/hyp/`, entered at EL2) with
    /// guest `guest`'s ELF appended to it, which it loads and runs at EL1.
    public func buildHypervisor(guest: String) throws -> URL {
        let fm = FileManager.default
        let guestELF = try build(guest)
        let dir = firmwareDirectory.appendingPathComponent("hyp")
        let files = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).sorted().map { dir.appendingPathComponent($0) }
        let sources = files.filter { $0.pathExtension == "c" || $0.pathExtension == "S" }
        let out = outputDirectory.appendingPathComponent("hyp-\(guest).elf")
        if let built = modified(out), (files + [guestELF]).allSatisfy({ (modified($0) ?? .distantFuture) < built }) { return out }
        let tmp = outputDirectory.appendingPathComponent("hyp-\(guest).\(ProcessInfo.processInfo.processIdentifier).tmp")
        let args = ["--target=aarch64-none-elf", "-march=armv8-a", "-mgeneral-regs-only", "-mstrict-align", "-ffreestanding",
                    "-fno-builtin", "-nostdlib", "-static", "-O2", "-g0", "-Wall", "-fuse-ld=lld", "-Wl,--build-id=none",
                    "-Wl,-T," + dir.appendingPathComponent("link.ld").path, "-DGUEST_ELF=\"\(guestELF.path)\"",
                    "-I", dir.path, "-o", tmp.path] + sources.map(\.path)
        try run(clang(), args)
        _ = try? fm.removeItem(at: out)
        try fm.moveItem(at: tmp, to: out)
        return out
    }

    /// Builds a standalone assembly file from `Firmware/peers/` (its own
    /// start-up code, no guest library) with `-D` definitions, for peers like QEMU.
    public func buildPeer(_ name: String, defines: [String: String] = [:]) throws -> URL {
        let fm = FileManager.default
        let source = firmwareDirectory.appendingPathComponent("peers/\(name).S")
        guard fm.fileExists(atPath: source.path) else { throw BuildError(description: "no peer firmware \(source.path)") }
        let linker = firmwareDirectory.appendingPathComponent("common/link.ld")
        let suffix = defines.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let out = outputDirectory.appendingPathComponent("\(name)\(suffix.isEmpty ? "" : "-" + suffix).elf")
        try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        if let built = modified(out), [source, linker].allSatisfy({ (modified($0) ?? .distantFuture) < built }) { return out }
        let args = ["--target=aarch64-none-elf", "-march=armv8.1-a", "-nostdlib", "-static", "-fuse-ld=lld",
                    "-Wl,--build-id=none", "-Wl,-T," + linker.path, "-o", out.path, source.path]
            + defines.map { "-D\($0.key)=\($0.value)" }
        try run(clang(), args)
        return out
    }

    /// Builds guest `name` and converts the ELF to a flat binary with
    /// `llvm-objcopy -O binary`: a raw arm64 `Image` when the guest starts with
    /// the Image header (Firmware/guests/image.S). Returns the binary's path.
    public func buildImage(_ name: String) throws -> URL {
        let fm = FileManager.default
        let elf = try build(name)
        let out = outputDirectory.appendingPathComponent(name + ".bin")
        if let built = modified(out), let source = modified(elf), source < built { return out }
        let tmp = outputDirectory.appendingPathComponent("\(name).bin.\(ProcessInfo.processInfo.processIdentifier).tmp")
        try run(objcopy(), ["-O", "binary", elf.path, tmp.path])
        _ = try? fm.removeItem(at: out)
        try fm.moveItem(at: tmp, to: out)
        return out
    }

    /// llvm-objcopy from `EL2EMU_OBJCOPY`, else the one beside the clang in use.
    func objcopy() -> String {
        if let o = ProcessInfo.processInfo.environment["EL2EMU_OBJCOPY"] { return o }
        let c = clang()
        if c.hasPrefix("/") {
            let beside = URL(fileURLWithPath: c).deletingLastPathComponent().appendingPathComponent("llvm-objcopy").path
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        }
        return "llvm-objcopy"
    }

    /// `main` and the files of its own folder it names in `#include "..."`, transitively
    /// (el2vhe.c includes el2monitor.c): what its ELF depends on besides Firmware/common.
    private func includedGuestSources(_ main: URL) -> [URL] {
        var found = [main], i = 0
        while i < found.count {
            let text = (try? String(contentsOf: found[i], encoding: .utf8)) ?? ""
            i += 1
            for line in text.split(separator: "\n") where line.hasPrefix("#include \"") {
                let name = line.dropFirst(10).prefix { $0 != "\"" }
                let file = main.deletingLastPathComponent().appendingPathComponent(String(name))
                if FileManager.default.fileExists(atPath: file.path), !found.contains(file) { found.append(file) }
            }
        }
        return found
    }

    private func modified(_ u: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: u.path))?[.modificationDate] as? Date
    }

    /// clang from `EL2EMU_CLANG`, else the one beside `swift` on the PATH.
    func clang() -> String {
        let env = ProcessInfo.processInfo.environment
        if let c = env["EL2EMU_CLANG"] { return c }
        for dir in (env["PATH"] ?? "/usr/bin").split(separator: ":") {
            let swift = "\(dir)/swift", clang = "\(dir)/clang"
            if FileManager.default.isExecutableFile(atPath: swift), FileManager.default.isExecutableFile(atPath: clang) { return clang }
        }
        return "clang"
    }

    private func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = err
        do { try p.run() } catch { throw BuildError(description: "cannot run \(tool): \(error)") }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw BuildError(description: "firmware build failed (\(tool)):\n" + (String(data: data, encoding: .utf8) ?? ""))
        }
    }
}
