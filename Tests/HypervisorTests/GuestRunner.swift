import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// Boots a firmware guest in a fresh VM and collects what happened.
struct GuestRun {
    let vm: VirtualMachine
    let reason: StopReason
    /// Every event of the run, in order.
    let events: [HypervisorEvent]
    var exits: [ExitRecord] { events.compactMap { if case .exit(let r) = $0 { return r }; return nil } }
    var output: String { vm.output }
    /// The exits other than device accesses (a guest's GIC and UART set-up
    /// goes through stage-2 data aborts).
    var exitsExceptMMIO: [ExitRecord] { exits.filter { $0.kind != "DABT_LOW" } }

    init(_ guest: String, mode: VirtualizationMode = .nvhe, x0: UInt64 = 0, configure: (inout Configuration) -> Void = { _ in }) throws {
        var c = Configuration()
        c.mode = mode
        c.maxInstructions = 100_000_000
        configure(&c)
        let vm = try VirtualMachine(c)
        let image = try GuestImage.load(path: FirmwareBuilder().build(guest).path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(image)
        var events: [HypervisorEvent] = []
        vm.events.observers.append { events.append($0) }
        reason = vm.run(entry: image.entry, x0: x0)
        self.vm = vm
        self.events = events
    }
}

extension GuestRun {
    /// `guest` run in each design, each asserted to exit cleanly having
    /// printed every one of `checks` as PASS and nothing as FAIL.
    static func passingInBothDesigns(_ guest: String, _ checks: [String], configure: (inout Configuration) -> Void = { _ in },
                                     file: StaticString = #filePath,
                                     line: UInt = #line) throws -> [(mode: VirtualizationMode, run: GuestRun)] {
        try VirtualizationMode.allCases.map { mode in
            let run = try GuestRun(guest, mode: mode, configure: configure)
            XCTAssertEqual(run.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(mode): \(run.output)", file: file, line: line)
            XCTAssertFalse(run.output.contains("FAIL"), "\(mode): \(run.output)", file: file, line: line)
            for check in checks {
                XCTAssertTrue(run.output.contains("PASS \(check)"), "\(mode): \(check)\n\(run.output)", file: file, line: line)
            }
            return (mode, run)
        }
    }
}

/// QEMU's virt (`-cpu max`, semihosting) running a firmware guest, the peer
/// el2emu's runs are compared with: its exit status and output. Skips when
/// QEMU is not installed.
enum QEMUPeer {
    static func run(_ guest: String, machine: String, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else { throw XCTSkip("qemu-system-aarch64 is needed (scripts/install-deps.sh --test)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["60", qemu, "-M", machine, "-cpu", "max", "-nographic", "-semihosting", "-nic", "none"]
            + extra + ["-kernel", try FirmwareBuilder().build(guest).path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }
}
