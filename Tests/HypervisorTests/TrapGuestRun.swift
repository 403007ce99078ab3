import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// One run of a firmware guest, with everything the tests look at: what the
/// guest printed, the exits the hypervisor handled, what the hardware itself
/// did (guest exceptions, WFI idling) and why the run ended.
struct TrapGuestRun {
    var output: String
    var exits: [ExitRecord]
    var hardware: [ProcessorEvent]
    var blocked: [UInt64]           // PCs of WFIs the vCPU was blocked in
    var reason: StopReason

    /// Runs guest `name` (built from Firmware/guests) with HCR_EL2 overrides.
    static func run(_ name: String, mode: VirtualizationMode, set: HCR = [], clear: HCR = [],
                    x0: UInt64 = 0, maxInstructions: UInt64 = 20_000_000) throws -> TrapGuestRun {
        var c = Configuration()
        c.mode = mode
        c.hcrSet = set
        c.hcrClear = clear
        c.maxInstructions = maxInstructions
        let vm = try VirtualMachine(c)
        let image = try GuestImage.load(path: FirmwareBuilder().build(name).path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(image)
        var exits: [ExitRecord] = [], hardware: [ProcessorEvent] = [], blocked: [UInt64] = []
        vm.events.observers.append { e in
            switch e {
            case .exit(let r): exits.append(r)
            case .hardware(_, _, let h): hardware.append(h)
            case .blocked(_, _, let pc, _, _): blocked.append(pc)
            default: break
            }
        }
        let reason = vm.run(entry: image.entry, x0: x0)
        return TrapGuestRun(output: vm.output, exits: exits, hardware: hardware, blocked: blocked, reason: reason)
    }

    /// The address of a labelled instruction, as the guest printed it ("@name 0x...").
    func site(_ name: String, file: StaticString = #filePath, line: UInt = #line) -> UInt64 {
        for l in output.split(separator: "\n") where l.hasPrefix("@\(name) ") {
            if let v = UInt64(l.split(separator: " ")[1].dropFirst(2), radix: 16) { return v }
        }
        XCTFail("the guest printed no site '\(name)'", file: file, line: line)
        return 0
    }

    /// The exits whose ELR_EL2 is `pc`.
    func exits(at pc: UInt64) -> [ExitRecord] { exits.filter { $0.pc == pc } }

    /// The value the guest printed as "NAME = 0x...".
    func printed(_ name: String) -> UInt64? {
        for l in output.split(separator: "\n") where l.hasPrefix("\(name) = 0x") {
            return UInt64(l.dropFirst(name.count + 5), radix: 16)
        }
        return nil
    }

    /// Exceptions the hardware took into the guest's own EL1 vectors, by return PC.
    func guestExceptions(at pc: UInt64, kind: String = "sync") -> [ExceptionSyndrome?] {
        hardware.compactMap {
            if case .guestException(let p, _, let k, let esr) = $0, p == pc, k == kind { return esr }
            return nil
        }
    }

    var idledAt: [UInt64] {
        hardware.compactMap { if case .idle(let pc, _, _) = $0 { return pc } else { return nil } }
    }

    /// The guest passed every check it made, printed no FAIL line, and exited with 0.
    func assertGuestPassed(_ checks: [String], file: StaticString = #filePath, line: UInt = #line) {
        for c in checks {
            XCTAssertTrue(output.contains("PASS \(c)\n"), "guest did not report 'PASS \(c)'; output:\n\(output)", file: file, line: line)
        }
        XCTAssertFalse(output.contains("FAIL "), "guest reported a failure:\n\(output)", file: file, line: line)
        XCTAssertEqual(reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), file: file, line: line)
    }
}
