import AArch64
import EL2
import Hypervisor
import XCTest

/// The `debug` guest (Firmware/guests/debug.c): a hardware breakpoint, a
/// watchpoint and software step, each taken to the guest's EL1 with its
/// syndrome (what kvm-unit-tests' debug-bp, -wp and -sstep check), in both
/// designs. The guest checks what its handler saw; here, that the hardware
/// took exactly those exceptions at EL1 and none reached the hypervisor
/// (el2emu's hypervisor leaves MDCR_EL2.TDE clear, as KVM does for a guest
/// that is not being debugged).
final class SelfHostedDebugGuestTests: XCTestCase {
    func testBreakpointWatchpointAndSoftwareStepAreTakenAtEL1WithTheirSyndromes() throws {
        let runs = try GuestRun.passingInBothDesigns("debug", [
            "OS lock: set at reset", "OS lock: cleared by OSLAR_EL1",
            "breakpoint: masked by PSTATE.D",
            "breakpoint: EC 0x31 IFSC 0x22 at EL1, ELR = the address, once",
            "OS lock: OSLSR_EL1.OSLK set by OSLAR_EL1", "breakpoint: none while the OS lock is set",
            "watchpoint: a load does not match a store watchpoint",
            "watchpoint: EC 0x35 WnR DFSC 0x22, ELR = the store, FAR = the byte stored",
            "watchpoint: taken before the store, which completes after",
            "software step: three steps until PSTATE.D is set again",
            "software step: EC 0x33 IFSC 0x22 before each instruction, ISV once one was stepped",
        ])
        for (mode, run) in runs {
            let debugECs: [ExceptionClass] = run.events.compactMap {
                guard case .hardware(_, _, .guestException(_, _, "sync", let esr?)) = $0,
                      (0x30...0x35).contains(esr.ecRaw) else { return nil }
                return esr.ec
            }
            XCTAssertEqual(debugECs, [.breakpointCurrentEL, .watchpointCurrentEL,
                                      .softwareStepCurrentEL, .softwareStepCurrentEL, .softwareStepCurrentEL], "\(mode)")
            XCTAssertFalse(run.exits.contains { $0.kind.hasPrefix("BREAKPT") || $0.kind.hasPrefix("WATCHPT") || $0.kind.hasPrefix("SOFTSTP") }, "\(mode)")
        }
    }
}
