import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// Entry at EL2 (`Configuration.entryEL = 2`): the `el2entry` guest
/// (Firmware/guests/el2entry.c) owns EL2 and does what kvm-unit-tests'
/// init_el does, on the VHE path (`mode` vhe: ID_AA64MMFR1_EL1.VH = 1) and
/// the non-VHE one (nvhe: ERET to EL1); el2emu plays the hardware and PSCI over SMC.
final class EntryAtEL2Tests: XCTestCase {
    static let common = [
        "starts at EL2",
        "ID_AA64PFR0_EL1 shows EL2 implemented",
        "SVC taken at the current EL (EC 0x15)",
        "SVC taken at the current EL with SPx (vector +0x200)",
        "the handler runs at the EL of the SVC",
        "ERET returned to the same EL",
        "PSCI_VERSION over SMC: 1.0",
        "CPU_ON of vCPU 1 over SMC",
        "vCPU 1 started at EL2 and ran init_el to the same EL",
        "AFFINITY_INFO: vCPU 1 is off after CPU_OFF",
    ]
    static let vhe = [
        "init_el: a VHE host stays at EL2",
        "HCR_EL2 reads back E2H|TGE|RW",
        "VMPIDR_EL2 holds what init_el wrote",
        "SPSR records EL2h",
        "HVC at EL2 taken to EL2 (EC 0x16)",
        "HVC: SPSR records EL2h",
        "vCPU 1's HCR_EL2: E2H|TGE|RW",
        "CNTV_* at EL2: the EL2 virtual timer's PPI 28",
        "CNTV_CVAL_EL02 reaches the EL1 virtual timer",
    ]
    static let nvhe = [
        "init_el: ERET from EL2 to EL1",
        "SPSR records EL1h",
        "CNTV_* at EL1: the virtual timer's PPI 27",
    ]

    func run(_ mode: VirtualizationMode) throws -> GuestRun {
        try GuestRun("el2entry", mode: mode) { c in
            c.entryEL = 2
            c.cpus = 2
        }
    }

    /// A run in `mode` that exits cleanly having passed the common checks and
    /// `checks`, with no exit of el2emu's (no hypervisor of its own runs).
    func runPassing(_ mode: VirtualizationMode, _ checks: [String], file: StaticString = #filePath, line: UInt = #line) throws -> GuestRun {
        let r = try run(mode)
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), r.output, file: file, line: line)
        XCTAssertFalse(r.output.contains("FAIL"), r.output, file: file, line: line)
        for check in EntryAtEL2Tests.common + checks {
            XCTAssertTrue(r.output.contains("PASS \(check)"), "\(check)\n\(r.output)", file: file, line: line)
        }
        XCTAssertTrue(r.exits.isEmpty, "\(r.exits.map(\.kind))", file: file, line: line)
        return r
    }

    /// The guest's exceptions as the hardware traced them: (vCPU, kind, EC).
    func exceptions(_ r: GuestRun) -> [(vcpu: Int, kind: String, ec: UInt64?)] {
        r.events.compactMap {
            if case .hardware(let v, _, .guestException(_, _, let kind, let esr)) = $0 { return (v, kind, esr.map { $0.raw >> 26 }) }
            return nil
        }
    }

    func psciCalls(_ r: GuestRun) -> [String] {
        r.events.compactMap { if case .psci(_, _, let call, _) = $0 { return call }; return nil }
    }

    func testVHEHostStaysAtEL2WithItsOwnVectorsPSCIOverSMCAndTheEL2VirtualTimer() throws {
        let r = try runPassing(.vhe, EntryAtEL2Tests.vhe)
        // The SVC and the HVC are taken at EL2 (the guest's own vectors), the timer's IRQ too.
        let taken = exceptions(r).filter { $0.vcpu == 0 }
        XCTAssertEqual(taken.filter { $0.kind == "EL2 sync" }.map(\.ec), [0x15, 0x16])
        XCTAssertEqual(taken.filter { $0.kind == "EL2 irq" }.count, 1)
        XCTAssertFalse(taken.contains { !$0.kind.hasPrefix("EL2 ") }, "\(taken)")
        let calls = psciCalls(r)
        XCTAssertEqual(calls.first, "SMC PSCI_VERSION")
        XCTAssertTrue(calls.contains { $0.hasPrefix("CPU_ON cpu1 ") }, "\(calls)")
        XCTAssertTrue(calls.contains("SMC CPU_OFF cpu1"), "\(calls)")
        XCTAssertTrue(calls.contains("SMC AFFINITY_INFO cpu1 -> 1"), "\(calls)")
        // The VHE host never leaves EL2: no ERET from EL2 to EL1.
        XCTAssertFalse(r.events.contains { if case .hardware(_, _, .daif(_, _, _, let c)) = $0 { return c.hasPrefix("ERET from EL2") }; return false })
    }

    func testNonVHEInitELEretsToEL1WhereExceptionsAndTheTimerAreEL1s() throws {
        let r = try runPassing(.nvhe, EntryAtEL2Tests.nvhe)
        // Each vCPU's init_el ERETs from EL2 to EL1t once, as the hardware model performs it.
        let erets = r.events.compactMap { e -> Int? in
            if case .hardware(let v, _, .daif(_, _, _, "ERET from EL2 to EL1t")) = e { return v }
            return nil
        }
        XCTAssertEqual(erets, [0, 1])
        let taken = exceptions(r).filter { $0.vcpu == 0 }
        XCTAssertEqual(taken.filter { $0.kind == "sync" }.map(\.ec), [0x15])
        XCTAssertEqual(taken.filter { $0.kind == "irq" }.count, 1)
        XCTAssertFalse(taken.contains { $0.kind.hasPrefix("EL2 ") }, "\(taken)")
        XCTAssertTrue(psciCalls(r).contains("SMC PSCI_VERSION"))
    }

    func testTheDeviceTreeSaysSMCAndListsTheHypervisorTimersAtEL2() {
        func property(_ c: Configuration, _ node: String, _ name: String) -> FlattenedDeviceTree.Value? {
            VirtBoardDeviceTree.make(c).root.children.first { $0.name == node }?.properties.first { $0.0 == name }?.1
        }
        var c = Configuration()
        for (entry, method, ppis) in [(1, "hvc", 4), (2, "smc", 5)] {
            c.entryEL = entry
            guard case .strings(let m)? = property(c, "psci", "method"), case .cells(let irqs)? = property(c, "timer", "interrupts") else {
                return XCTFail("no psci method or timer interrupts")
            }
            XCTAssertEqual(m, [method], "entry at EL\(entry)")
            XCTAssertEqual(irqs.count, ppis * 3, "entry at EL\(entry)")
            if entry == 2 { XCTAssertEqual(Array(irqs.suffix(6)), [1, 10, 4, 1, 12, 4], "PPIs 26 and 28") }
        }
    }

    /// Runs raw instructions at EL2 (the VM's first vCPU) and returns why the run stopped.
    func runAtEL2(_ words: [UInt32], mode: VirtualizationMode) throws -> StopReason {
        var c = Configuration()
        c.mode = mode
        c.entryEL = 2
        c.maxInstructions = 100_000
        let vm = try VirtualMachine(c)
        let entry = c.ramBase + 0x8_0000
        try vm.load(words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }, at: entry)
        return vm.run(entry: entry)
    }

    /// CPTR_EL2.TFP traps EL2's own FP/SIMD too: an FMOV at EL2 is taken at VBAR_EL2 + 0x200 with EC 0x07.
    func testTFPTrapsTheFPAccessOfEL2CodeItself() throws {
        var c = Configuration()
        c.mode = .nvhe
        c.entryEL = 2
        c.maxInstructions = 10_000
        let vm = try VirtualMachine(c)
        let entry = c.ramBase + 0x8_0000
        var words: [UInt32] = [
            0x1000_4000,   // adr x0, .+0x800 (the vectors)
            0xD51C_C000,   // msr vbar_el2, x0
            0xD280_8000,   // mov x0, #0x400 (TFP)
            0xD51C_1140,   // msr cptr_el2, x0
            0xD503_3FDF,   // isb
            0x9E67_0020,   // fmov d0, x1
            0x1400_0000,   // b .
        ]
        words += Array(repeating: 0x1400_0000, count: (0x800 + 0x200) / 4 - words.count + 1)   // b . everywhere, the vector too
        try vm.load(words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }, at: entry)
        _ = vm.run(entry: entry)
        let cpu = vm.vcpus[0].cpu
        // Non-VHE EL2 code runs with its regime in Unicorn's EL1 registers: ESR_EL2 and ELR_EL2 are there.
        XCTAssertEqual(cpu.read(.ESR_EL1), 0x1FE0_0000)
        XCTAssertEqual(cpu.read(.ELR_EL1), entry + 20)
    }

    func testWhatIsNotModelledStopsTheRunWithAMessage() throws {
        let msrHCR: UInt32 = 0xD51C_1100
        let branchSelf: UInt32 = 0x1400_0000
        // E2H set (VH = 1), then cleared: not modelled.
        let e2hOff = try runAtEL2([0xD2C0_0080 /* mov x0, #(1 << 34) */, msrHCR, 0xD280_0000 /* mov x0, #0 */, msrHCR, branchSelf], mode: .vhe)
        guard case .error(let m1) = e2hOff else { return XCTFail("\(e2hOff)") }
        XCTAssertTrue(m1.contains("E2H cleared once set"), m1)
        // An ERET from non-VHE EL2 to EL3h (SPSR_EL2.M = 0b1101): an illegal return.
        let toEL3 = try runAtEL2([0xD280_01A0 /* mov x0, #0xd */, 0xD51C_4000 /* msr spsr_el2, x0 */, 0xD69F_03E0 /* eret */, branchSelf], mode: .nvhe)
        guard case .error(let m2) = toEL3 else { return XCTFail("\(toEL3)") }
        XCTAssertTrue(m2.contains("an ERET from EL2 to SPSR_EL2 = 0xd"), m2)
        // An EL2 register the model does not hold (S3_4_C15_C0_0, IMPLEMENTATION DEFINED): named.
        let unknown = try runAtEL2([0xD51C_F000 /* msr s3_4_c15_c0_0, x0 */, branchSelf], mode: .nvhe)
        guard case .error(let m3) = unknown else { return XCTFail("\(unknown)") }
        XCTAssertTrue(m3.contains("the EL2 register"), m3)
        // TGE without E2H (a non-VHE host at EL2 with its EL0 apps) is not modelled either.
        let tgeOnly = try runAtEL2([0xD2A1_0000 /* mov x0, #(1 << 27) */, msrHCR, branchSelf], mode: .vhe)
        guard case .error(let m4) = tgeOnly else { return XCTFail("\(tgeOnly)") }
        XCTAssertTrue(m4.contains("TGE without E2H"), m4)
    }
}
