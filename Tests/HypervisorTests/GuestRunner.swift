import AArch64
import EL2
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
