import Foundation

/// kvm-unit-tests' spinlock-test with 4 vCPUs, el2emu (each design) against
/// QEMU TCG side by side: `--only-spinlock [FLAT]` (default
/// ../shared/kvm-unit-tests/spinlock-test.flat). Each run is timed to its
/// end; rounds take turns, the fastest of each counts.
enum SpinlockTest {
    static let defaultPath = "../shared/kvm-unit-tests/spinlock-test.flat"

    /// Seconds until `exe` ends (killed after `limit` seconds: then nil).
    static func seconds(_ exe: URL, _ arguments: [String], limit: Double = 120) throws -> Double {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
        p.waitUntilExit()
        killer.cancel()
        let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard t < limit else { throw BenchError(description: "\(exe.lastPathComponent) \(arguments.joined(separator: " ")): no end within \(Int(limit)) s") }
        return t
    }

    /// The bench's lines, or nil when the test or QEMU is not here.
    static func lines(flat: String = defaultPath, rounds: Int) throws -> String? {
        let qemu = URL(fileURLWithPath: "/usr/bin/qemu-system-aarch64")
        guard FileManager.default.fileExists(atPath: flat), FileManager.default.isExecutableFile(atPath: qemu.path) else { return nil }
        let el2emu = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("el2emu")
        var runs: [() throws -> Double] = ["nvhe", "vhe"].map { mode in
            { try seconds(el2emu, ["run", flat, "--format", "binary", "--cpus", "4", "--mode", mode, "--entry-el", "1"]) }
        }
        runs.append { try seconds(qemu, ["-machine", "virt", "-cpu", "max", "-smp", "4", "-nographic", "-no-reboot",
                                         "-kernel", flat]) }
        let t = try fastestInterleaved(rounds, runs)
        return String(format: "kvm-unit-tests spinlock-test, 4 vCPUs (fastest of %d): el2emu nvhe %.2f s (%.1fx QEMU), vhe %.2f s (%.1fx), QEMU TCG %.2f s",
                      rounds, t[0], t[0] / t[2], t[1], t[1] / t[2], t[2])
    }
}
