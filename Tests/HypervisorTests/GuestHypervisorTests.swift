import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import Trace
import XCTest

/// A hypervisor of the guest's own at EL2 (`--entry-el 2`, non-VHE): the
/// `el2monitor` guest (Firmware/guests/el2monitor.c) sets its own VBAR_EL2 and
/// EL2 stage 1, traps WFI, SMC, IRQs, SCTLR_EL1 and ID registers of its EL1
/// guest, runs it under a stage 2 of its own with a hole it emulates, gives
/// it a virtual IRQ (HCR_EL2.VI) and logs each exit. el2emu
/// must give it the exits QEMU `-M virt,virtualization=on` gives.
final class GuestHypervisorTests: XCTestCase {
    static let checks = [
        "the monitor starts at EL2",
        "EL2 stage 1 on (SCTLR_EL2.M)",
        "TCR_EL2 reads back as written",
        "VBAR_EL2 reads back",
        "the guest runs at EL1",
        "HVC reached the monitor at EL2 and returned",
        "WFI trapped to EL2 (HCR_EL2.TWI) and resumed",
        "PSCI VERSION over SMC, trapped (TSC) and forwarded",
        "SCTLR_EL1 read and written through EL2 (TRVM, TVM)",
        "ID_AA64MMFR0_EL1 read through EL2 (TID3)",
        "the physical timer's IRQ (PPI 30) taken to EL2 (IMO)",
        "stage 2: a store and a load in the hole emulated by EL2 (ISV, SRT)",
        "eleven exits so far",
        "a virtual IRQ (HCR_EL2.VI) taken at EL1 where it unmasks IRQs",
        "el2monitor",
    ]

    static func exitLines(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("EXIT ") }
    }

    func testTheMonitorsExitsAreQEMUsAndEachIsAnEventOfTheHardware() throws {
        let r = try GuestRun("el2monitor", mode: .nvhe) { $0.entryEL = 2 }
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "PSCI SYSTEM_OFF"), r.output)
        XCTAssertFalse(r.output.contains("FAIL"), r.output)
        for check in GuestHypervisorTests.checks {
            XCTAssertTrue(r.output.contains("PASS \(check)"), "\(check)\n\(r.output)")
        }
        // HVC, trapped WFI, trapped SMC (PSCI VERSION), MRS/MSR/MRS SCTLR_EL1 (TRVM/TVM),
        // MSR SCTLR_EL1, MRS ID_AA64MMFR0_EL1 (TID3), the timer's IRQ, a store and a load in
        // the stage-2 hole, HVC #2 (VI on), MRS ESR_EL1 in its IRQ vector (TRVM), HVC #1 (VI off),
        // trapped SMC (SYSTEM_OFF).
        let lines = GuestHypervisorTests.exitLines(r.output)
        XCTAssertEqual(lines.map { String($0.dropFirst(5).prefix(21)) },
                       ["ec=0x0000000000000016", "ec=0x0000000000000001", "ec=0x0000000000000017"]
                        + Array(repeating: "ec=0x0000000000000018", count: 5) + ["irq intid=30 elr=0x00", "ec=0x0000000000000024", "ec=0x0000000000000024",
                          "ec=0x0000000000000016", "ec=0x0000000000000018", "ec=0x0000000000000016", "ec=0x0000000000000017"], r.output)
        // Each exit to the monitor's EL2 is a hardware event with its syndrome, at VBAR_EL2 + 0x400 (0x480 the IRQ).
        let taken: [(kind: String, vector: UInt64, esr: UInt64?)] = r.events.compactMap {
            if case .hardware(0, _, .guestException(_, let vector, let kind, let esr)) = $0, kind.hasPrefix("EL2 ") { return (kind, vector, esr?.raw) }
            return nil
        }
        XCTAssertEqual(taken.map(\.esr), [0x5A00_0000, 0x07E0_0000, 0x5E00_0000, 0x6230_0401, 0x6230_0400, 0x6230_0401,
                                          0x6230_0400, 0x6230_000F, nil, 0x93C1_8045, 0x93C2_8005,
                                          0x5A00_0002, 0x6230_1425, 0x5A00_0001, 0x5E00_0000])
        XCTAssertEqual(taken.map { $0.vector & 0x7FF }, Array(repeating: 0x400, count: 8) + [0x480] + Array(repeating: 0x400, count: 6))
        // The stage-2 aborts: FAR_EL2 the VA, HPFAR_EL2 the IPA's page (bits [47:12] at [39:4]).
        XCTAssertTrue(lines[9].hasSuffix("far=0x0000000010000008 hpfar=0x0000000000100000 sync"), lines[9])
        XCTAssertTrue(r.exits.isEmpty, "no exit of el2emu's own hypervisor: \(r.exits.map(\.kind))")
        // `stats` counts them as exits of the monitor's, by EC, each timed to its ERET back
        // (the last SMC, SYSTEM_OFF, never returns).
        let recorder = StatisticsRecorder { _ in nil }
        r.events.forEach(recorder.record)
        let stats = RunStatistics(recorder, mode: "nvhe", profile: "a57")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: stats.rows.map { ($0.kind, $0.count) }),
                       ["SYS64": 6, "HVC64": 3, "DABT_LOW": 2, "IRQ": 1, "SMC64": 1, "WFx": 1])
        XCTAssertTrue(stats.rows.allSatisfy { $0.samples.min > 0 }, "\(stats.rows)")

        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else {
            throw XCTSkip("qemu-system-aarch64 is needed for the comparison (scripts/install-deps.sh --test)")
        }
        let theirs = try runUnderQEMU(qemu, elf: FirmwareBuilder().build("el2monitor").path)
        XCTAssertTrue(theirs.contains("PASS el2monitor"), theirs)
        XCTAssertEqual(lines, GuestHypervisorTests.exitLines(theirs), "el2emu:\n\(r.output)\nQEMU:\n\(theirs)")
    }

    /// el2traps.c: HCR_EL2.TPC/TPU, CPTR_EL2.TCPAC/TFP traps of its guest, TTA with no
    /// trace registers, and its EL2's AT S1E2*/S1E1R/S12E1*/S12E0R: the guest's whole
    /// output (exit lines, PAR_EL1 values, its PASS lines) is QEMU's, in both designs.
    func testTheTrapsMonitorsExitsAndAddressTranslationsAreQEMUs() throws {
        var outputs: [String] = []
        for mode in [VirtualizationMode.nvhe, .vhe] {
            let r = try GuestRun("el2traps", mode: mode) { $0.entryEL = 2 }
            XCTAssertEqual(r.reason, .guestExit(status: 0, how: "PSCI SYSTEM_OFF"), r.output)
            XCTAssertTrue(r.output.contains("PASS el2traps") && !r.output.contains("FAIL"), r.output)
            let taken: [UInt64?] = r.events.compactMap {
                if case .hardware(0, _, .guestException(_, _, let kind, let esr)) = $0, kind == "EL2 sync" { return esr?.raw }
                return nil
            }
            // DC CVAC, CIVAC, IVAC (TPC); DC CVAU, IC IVAU, IALLU, IALLUIS (TPU); MRS, MSR CPACR_EL1 (TCPAC);
            // FMOV (TFP, EC 0x07 with CV and COND 0xE); HVC.
            XCTAssertEqual(taken, [0x6212_DE74, 0x6212_DE7C, 0x6212_1E6C, 0x6212_DE76, 0x6212_DE6A, 0x6210_1FEA, 0x6210_1FE2,
                                   0x6234_0401, 0x6234_0400, 0x1FE0_0000, 0x5A00_0000], r.output)
            outputs.append(r.output)
        }
        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else {
            throw XCTSkip("qemu-system-aarch64 is needed for the comparison (scripts/install-deps.sh --test)")
        }
        let theirs = try runUnderQEMU(qemu, elf: FirmwareBuilder().build("el2traps").path)
        let guestLines = { (s: String) in s.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("el2emu:") } }
        XCTAssertTrue(theirs.contains("PASS el2traps"), theirs)
        for ours in outputs { XCTAssertEqual(guestLines(ours), guestLines(theirs), "el2emu:\n\(ours)\nQEMU:\n\(theirs)") }
    }

    /// The same monitor as a VHE host (Firmware/guests/el2vhe.c, `--mode vhe`): it turns
    /// E2H and TGE on after non-VHE EL2 code ran (Linux's `__finalise_el2`) and runs its
    /// guest with E2H and TGE clear (KVM's VHE world switch): the same exits as
    /// el2monitor's, and QEMU's (`-cpu max`, a CPU with VHE).
    func testTheMonitorAsAVHEHostGivesItsGuestTheSameExitsAsQEMU() throws {
        let r = try GuestRun("el2vhe", mode: .vhe) { $0.entryEL = 2 }
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "PSCI SYSTEM_OFF"), r.output)
        XCTAssertFalse(r.output.contains("FAIL"), r.output)
        for check in GuestHypervisorTests.checks.dropLast() + ["the CPU has VHE (ID_AA64MMFR1_EL1.VH)", "with E2H, VBAR_EL1 at EL2 is VBAR_EL2", "el2monitor"] {
            XCTAssertTrue(r.output.contains("PASS \(check)"), "\(check)\n\(r.output)")
        }
        let lines = GuestHypervisorTests.exitLines(r.output)
        let monitor = try GuestRun("el2monitor", mode: .vhe) { $0.entryEL = 2 }
        // Its code sits elsewhere: the same exits but for ELR.
        func withoutELR(_ l: [String]) -> [String] { l.map { $0.replacingOccurrences(of: #"elr=0x[0-9a-f]+ "#, with: "", options: .regularExpression) } }
        XCTAssertEqual(withoutELR(lines), withoutELR(GuestHypervisorTests.exitLines(monitor.output)), "the same exits as the non-VHE monitor's")
        XCTAssertTrue(r.exits.isEmpty, "no exit of el2emu's own hypervisor: \(r.exits.map(\.kind))")

        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else {
            throw XCTSkip("qemu-system-aarch64 is needed for the comparison (scripts/install-deps.sh --test)")
        }
        let theirs = try runUnderQEMU(qemu, elf: FirmwareBuilder().build("el2vhe").path, cpu: "max")
        XCTAssertTrue(theirs.contains("PASS el2monitor") && !theirs.contains("FAIL"), theirs)
        XCTAssertEqual(lines, GuestHypervisorTests.exitLines(theirs), "el2emu:\n\(r.output)\nQEMU:\n\(theirs)")
    }

    /// QEMU's semihosting output, the run ended by the guest's SYSTEM_OFF or after 30 s.
    func runUnderQEMU(_ qemu: String, elf: String, cpu: String = "cortex-a57") throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: qemu)
        p.arguments = ["-M", "virt,virtualization=on,gic-version=3", "-cpu", cpu, "-nographic",
                       "-semihosting", "-kernel", elf]
        let out = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = out   // QEMU writes semihosting output to stderr
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer.cancel()
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
    }
}
