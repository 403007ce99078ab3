import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// The `vectors` guest (Firmware/guests/vectors.c): the exceptions
/// kvm-unit-tests' selftest vectors-kernel and vectors-user check, in both
/// designs. The guest checks what its handler saw and prints PASS/FAIL.
final class ExceptionVectorGuestTests: XCTestCase {
    func assertPassed(_ r: GuestRun, _ lines: [String], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(label)\n\(r.output)", file: file, line: line)
        XCTAssertFalse(r.output.contains("FAIL"), "\(label)\n\(r.output)", file: file, line: line)
        for l in lines { XCTAssertTrue(r.output.contains("PASS " + l), "\(label): \(l)\n\(r.output)", file: file, line: line) }
    }

    func testUndefSVCAndPrefetchAbortPastRAMThroughAStage1MappingAreTakenAtEL1() throws {
        for mode in VirtualizationMode.allCases {
            let r = try GuestRun("vectors", mode: mode, x0: 0)
            assertPassed(r, ["und: EC 0x00 at EL1h, ELR at the instruction",
                             "svc: EC 0x15 imm 123 at EL1h, ELR after the instruction",
                             "pabt: fetch from VA 0x80000000 (IPA past RAM): EC 0x21 external abort, FAR = the VA"], "\(mode)")
            // The fetch reached the hypervisor as a stage-2 instruction abort on the IPA past
            // RAM with the VA in FAR_EL2, and KVM's answer: an external abort injected.
            let aborts = r.vm.guestAborts.filter { $0.esr.ec == .instructionAbortLowerEL }
            XCTAssertEqual(aborts.map(\.ipa), [0x4800_0000], "\(mode)")
            XCTAssertEqual(aborts.map(\.far), [0x8000_0000], "\(mode)")
            XCTAssertEqual(aborts.map(\.resolution), [.externalAbortInjected(reason: "instruction fetch outside RAM")], "\(mode)")
        }
    }

    func testExceptionsFromEL0RunAnEL1HandlerThatUsesEL1RegistersAndReturnsToEL0() throws {
        for mode in VirtualizationMode.allCases {
            let r = try GuestRun("vectors", mode: mode, x0: 1)
            guard Processor.canChangeGuestExceptionLevel else {
                // Unicorn 2.0 cannot make QEMU's cached EL follow the model's PSTATE write: a clear stop.
                guard case .error(let m) = r.reason else { return XCTFail("\(mode): \(r.reason)\n\(r.output)") }
                XCTAssertTrue(m.contains("from EL0 to EL1") && m.contains("runs no guest code at EL0") && m.contains("need Unicorn 2.1 or newer"), "\(mode): \(m)")
                continue
            }
            assertPassed(r, ["back at EL1: EL1 registers readable",
                             "und from EL0: taken to EL1 (lower EL), handler uses EL1 registers",
                             "svc from EL0: EC 0x15 imm 0x7b, handler uses EL1 registers, returns to EL0",
                             "back at EL0 after the handler: an EL1 register is UNDEFINED again",
                             "IRQ from EL0: virtual timer taken to EL1 (lower EL), returns to EL0",
                             "svc #0xe1 from EL0 returns to the kernel at EL1"], "\(mode)")
        }
    }
}
