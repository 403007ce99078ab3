import Hypervisor
import Foundation

/// A Linux boot to its /init line, el2emu against QEMU TCG side by side:
/// `--only-linux KERNEL INITRD` (scripts/linux.sh leaves both in
/// .build-linux/). Each run is timed from its start to the first line
/// holding /init's marker, then stopped; rounds take turns, the fastest of
/// each counts (this machine is shared).
enum LinuxBoot {
    static let marker = "el2emu-linux: /init reached"
    static let append = "console=ttyAMA0 panic=-1"

    /// Seconds from launching `exe` until its output holds the marker.
    static func secondsToInit(_ exe: URL, _ arguments: [String]) throws -> Double {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        var seen = Data()
        while true {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError(description: "\(exe.lastPathComponent) ended before /init: \(String(decoding: seen.suffix(400), as: UTF8.self))") }
            seen.append(chunk)
            if String(decoding: seen.suffix(chunk.count + marker.count), as: UTF8.self).contains(marker) {
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }
    }

    /// The kernel and initrd scripts/linux.sh leaves in .build-linux/, if it ran.
    static func fetched() -> (String, String)? {
        let boot = ".build-linux/root-cloud-arm64/boot", initrd = ".build-linux/initrd.cpio"
        guard let k = (try? FileManager.default.contentsOfDirectory(atPath: boot))?.filter({ $0.hasPrefix("vmlinuz-") }).sorted().last,
              FileManager.default.fileExists(atPath: initrd) else { return nil }
        return (boot + "/" + k, initrd)
    }

    static func run(kernel: String, initrd: String, rounds: Int = 3) throws {
        let el2emu = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("el2emu")
        let qemu = URL(fileURLWithPath: "/usr/bin/qemu-system-aarch64")
        let board = ["--initrd", initrd, "--mem", "512M", "--append", append]
        var runs: [(String, () throws -> Double)] = VirtualizationMode.allCases.map { mode in
            ("el2emu \(mode.rawValue)", { try secondsToInit(el2emu, ["run", kernel, "--mode", mode.rawValue] + board) })
        }
        if FileManager.default.isExecutableFile(atPath: qemu.path) {
            runs.append(("QEMU TCG (-cpu cortex-a57)", { try secondsToInit(qemu, ["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "512M",
                "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", append]) }))
        }
        let t = try fastestInterleaved(rounds, runs.map(\.1))
        let q = runs.count > 2 ? t[2] : nil
        print("Linux to /init (1 vCPU, fastest of \(rounds)):")
        for (i, r) in runs.enumerated() {
            let ratio = q.map { String(format: "  %.1fx QEMU", t[i] / $0) } ?? ""
            print("  " + r.0.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%6.2f s", t[i]) + (i < 2 ? ratio : ""))
        }
    }
}
