import AArch64
import EL2
import GuestBuild
@testable import Hypervisor
import Trace
import XCTest

/// Virtual interrupts end to end with real firmware guests: the virtual
/// timer through a trapped or untrapped WFI, DAIF masking, the GIC CPU
/// interface served without exits, SGIs between vCPUs and PSCI power control.
final class VirtualInterruptTests: XCTestCase {
    struct Run {
        let reason: StopReason
        let output: String
        let events: [HypervisorEvent]
        let trace: String
        var exits: [ExitRecord] { events.compactMap { if case .exit(let r) = $0 { return r } else { return nil } } }
        /// The exits other than device accesses (GIC and UART set-up are stage-2 data aborts).
        var exitsExceptMMIO: [ExitRecord] { exits.filter { $0.kind != "DABT_LOW" } }
        var blocked: [(vcpu: Int, cycles: UInt64, woken: String)] {
            events.compactMap { if case .blocked(let v, _, _, let c, let w) = $0 { return (v, c, w) } else { return nil } }
        }
        var hardware: [(vcpu: Int, event: ProcessorEvent)] {
            events.compactMap { if case .hardware(let v, _, let e) = $0 { return (v, e) } else { return nil } }
        }
        var failures: [Substring] { output.split(separator: "\n").filter { $0.hasPrefix("FAIL") } }
        var passes: Int { output.split(separator: "\n").filter { $0.hasPrefix("PASS") }.count }
    }

    func run(_ guest: String, mode: VirtualizationMode = .nvhe, cpus: Int = 1, hcrClear: HCR = []) throws -> Run {
        var c = Configuration()
        c.mode = mode
        c.cpus = cpus
        c.hcrClear = hcrClear
        c.maxInstructions = 50_000_000
        c.timeoutSeconds = 60
        let vm = try VirtualMachine(c)
        let img = try GuestImage.load(path: FirmwareBuilder().build(guest).path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        var events: [HypervisorEvent] = []
        var trace = ""
        vm.events.observers.append { e in
            events.append(e)
            trace += TextFormatter.line(e) + "\n"
        }
        let reason = vm.run(entry: img.entry)
        return Run(reason: reason, output: vm.output, events: events, trace: trace)
    }

    func assertGuestPassed(_ r: Run, checks: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), r.output, file: file, line: line)
        XCTAssertEqual(r.failures, [], file: file, line: line)
        XCTAssertEqual(r.passes, checks, r.output, file: file, line: line)
    }

    // MARK: The virtual timer and WFI

    /// 100 us at the 62.5 MHz counter is 6,250 ticks = 200,000 cycles at 2 GHz.
    static let timerCycles: UInt64 = 6_250 * 32

    func testTrappedWFIBlocksUntilTheVirtualTimerFires() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("vtimer", mode: mode)
            assertGuestPassed(r, checks: 9)
            let wfi = r.exits.filter { $0.kind == "WFx" }
            XCTAssertEqual(wfi.count, 3, "\(mode)")
            XCTAssertTrue(wfi.allSatisfy { $0.detail == "WFI: block vCPU" })
            // Each block lasts from the WFI to the timer's deadline, in virtual time.
            XCTAssertEqual(r.blocked.count, 3)
            for b in r.blocked {
                XCTAssertEqual(b.woken, "virtual timer (PPI 27)")
                XCTAssertGreaterThan(b.cycles, Self.timerCycles - 1_000)
                XCTAssertLessThanOrEqual(b.cycles, Self.timerCycles)
            }
            // The timer fires only while the vCPU is blocked: no IRQ exits.
            XCTAssertEqual(r.exits.filter { $0.kind == "IRQ" }.count, 0, "\(mode)")
        }
    }

    func testUntrappedWFIIdlesUntilTheTimerIRQExitInjectsPPI27Once() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("vtimer", mode: mode, hcrClear: .TWI)
            assertGuestPassed(r, checks: 9)
            XCTAssertEqual(r.exits.filter { $0.kind == "WFx" }.count, 0)
            let idles = r.hardware.compactMap { if case .idle(_, let c, let w) = $0.event { return (c, w) } else { return nil } }
            XCTAssertEqual(idles.count, 3)
            for (cycles, woken) in idles {
                XCTAssertEqual(woken, "virtual timer (PPI 27)")
                XCTAssertGreaterThan(cycles, Self.timerCycles - 1_000)
                XCTAssertLessThanOrEqual(cycles, Self.timerCycles)
            }
            // One IRQ exit per timer interrupt: the physical PPI stays active
            // until the guest's EOI deactivates it through the HW=1 list register.
            let irqs = r.exits.filter { $0.kind == "IRQ" }
            XCTAssertEqual(irqs.map(\.detail), Array(repeating: "virtual timer: PPI 27 injected", count: 3), "\(mode)")
            XCTAssertTrue(r.trace.contains(" exit "))
        }
    }

    func testGuestAcknowledgesAndEndsInterruptsWithoutExits() throws {
        let r = try run("vtimer", hcrClear: .TWI)
        assertGuestPassed(r, checks: 9)
        // ICC_IAR1/EOIR1/PMR/BPR1/IGRPEN1/SRE are served from the list registers.
        XCTAssertEqual(r.exits.filter { $0.kind == "SYS64" }.map(\.detail), [])
        XCTAssertEqual(Set(r.exitsExceptMMIO.map(\.kind)), ["IRQ"])
        let taken = r.hardware.filter { if case .guestException(_, _, "irq", _) = $0.event { return true } else { return false } }
        XCTAssertEqual(taken.count, 3)
    }

    func testWFIWithNothingToWakeItEndsTheRunWithAMessage() throws {
        for clear: HCR in [[], .TWI] {
            let r = try run("wfideadlock", hcrClear: clear)
            guard case .deadlock(let pc) = r.reason else { return XCTFail("\(r.reason)") }
            XCTAssertTrue(r.reason.description.contains("WFI at 0x\(String(pc, radix: 16)) with no interrupt that can ever wake the vCPU"))
            XCTAssertEqual(r.reason.exitStatus, 125)
            XCTAssertEqual(r.output, "sleeping forever\n")
        }
    }

    // MARK: DAIF

    func testMaskedTimerInterruptIsTakenExactlyAtTheUnmask() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("daifmask", mode: mode)
            assertGuestPassed(r, checks: 7)
            // Each unmask (MSR DAIFClr, then MSR DAIF) is immediately followed by
            // the IRQ exception, returning to the next instruction.
            var unmasks: [(UInt64, String)] = []
            var takenAt: [UInt64] = []
            for (i, h) in r.hardware.enumerated() {
                if case .daif(let pc, let old, let new, let cause) = h.event, old.contains(.i), !new.contains(.i), cause.hasPrefix("MSR") {
                    unmasks.append((pc, cause))
                    guard i + 1 < r.hardware.count, case .guestException(let ret, _, "irq", _) = r.hardware[i + 1].event else {
                        XCTFail("no IRQ right after \(cause) at 0x\(String(pc, radix: 16))"); continue
                    }
                    takenAt.append(ret)
                    XCTAssertEqual(ret, pc + 4, cause)
                }
            }
            XCTAssertEqual(unmasks.map(\.1), ["MSR DAIFClr", "MSR DAIF"], "\(mode)")
            XCTAssertEqual(takenAt.count, 2)
            // The interrupt became pending (IRQ exit) long before the unmask.
            XCTAssertEqual(r.exits.filter { $0.kind == "IRQ" }.count, 2)
            // Exception entry masks DAIF and the handler's ERET restores it: both traced.
            XCTAssertTrue(r.trace.contains("DA-F->DAIF (exception entry (irq))"))
            XCTAssertTrue(r.trace.contains("DAIF->DA-F (ERET)"))
        }
    }

    // MARK: Several vCPUs

    func testSGIPingPongAndPSCIPowerControlOnTwoVCPUs() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("smp", mode: mode, cpus: 2)
            assertGuestPassed(r, checks: 21)
            XCTAssertTrue(r.output.contains("IPIs: 16"))
            // Every SGI is a trapped ICC_SGI1R_EL1 write: 8 from each vCPU.
            let sgis = r.exits.filter { $0.detail.hasPrefix("SYS64 MSR ICC_SGI1R_EL1") }
            XCTAssertEqual(sgis.filter { $0.vcpu == 0 }.count, 8, "\(mode)")
            XCTAssertEqual(sgis.filter { $0.vcpu == 1 }.count, 8, "\(mode)")
            // The waiting vCPU blocks in WFI and is woken by the other's IPI.
            XCTAssertFalse(r.blocked.isEmpty)
            XCTAssertTrue(r.blocked.allSatisfy { $0.woken.hasPrefix("SGI ") || $0.woken.hasPrefix("interrupt ") }, "\(r.blocked)")
            XCTAssertTrue(r.trace.contains("cpu0 psci      CPU_ON cpu1 entry=0x"))
            XCTAssertTrue(r.trace.contains("cpu1 psci      CPU_OFF cpu1"))
            let psci = r.exits.filter { $0.kind == "HVC64" }.map(\.detail)
            XCTAssertEqual(Array(psci.prefix(6)), ["HVC CPU_ON -> invalidParameters", "HVC CPU_ON -> invalidAddress",
                                                  "HVC AFFINITY_INFO cpu1 -> 1", "HVC CPU_ON -> success",
                                                  "HVC CPU_ON -> alreadyOn", "HVC AFFINITY_INFO cpu1 -> 0"])
        }
    }

    func testSameGuestAndOptionsGiveByteIdenticalTraces() throws {
        let a = try run("smp", cpus: 2), b = try run("smp", cpus: 2)
        XCTAssertGreaterThan(a.trace.count, 1_000)
        XCTAssertEqual(a.trace, b.trace)
        let c = try run("vtimer", mode: .vhe, hcrClear: .TWI), d = try run("vtimer", mode: .vhe, hcrClear: .TWI)
        XCTAssertEqual(c.trace, d.trace)
    }
}

extension VirtualInterruptTests {
    func testEL1PhysicalTimerWakesABlockedVCPUAndIsForwardedAsPPI30() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("ptimer", mode: mode)
            assertGuestPassed(r, checks: 4)
            XCTAssertEqual(r.blocked.map(\.woken), ["physical timer (PPI 30)", "physical timer (PPI 30)"], "\(mode)")
            // 3,125 ticks = 100,000 cycles from CNTP_TVAL to the deadline.
            XCTAssertTrue(r.blocked.allSatisfy { $0.cycles > 99_000 && $0.cycles <= 100_000 }, "\(r.blocked)")
            XCTAssertEqual(r.exits.filter { $0.kind == "IRQ" }.map(\.detail), Array(repeating: "physical timer: PPI 30 injected", count: 2))
        }
    }

    func testQueuedSGIsAreTakenInOrderAtUnmaskAndERETAndAfterAPMRWrite() throws {
        for mode in VirtualizationMode.allCases {
            for clear: HCR in [[], .TWI] {
                let r = try run("sgiself", mode: mode, hcrClear: clear)
                assertGuestPassed(r, checks: 11)
                let sgis = r.exits.filter { $0.detail.hasPrefix("SYS64 MSR ICC_SGI1R_EL1") }
                XCTAssertEqual(sgis.count, 4)
                // Only SGI generation exits, and the kick that flushes the SGI the
                // redistributor enabled: ICC_PMR/IAR/EOIR/HPPIR are served by the vGIC.
                XCTAssertEqual(r.exitsExceptMMIO.map(\.kind), ["SYS64", "SYS64", "SYS64", "SYS64", "IRQ"], "\(r.exits.map(\.detail))")
                XCTAssertEqual(r.exits.last?.detail, "IRQ: kick (SGI 0)")
                let pending = r.hardware.compactMap { if case .virtualInterrupt(let id, true) = $0.event { return id } else { return nil } }
                XCTAssertEqual(pending, [3, 4, 5, 6])
            }
        }
    }

    func testUntrappedWFIOnTwoVCPUsIsWokenByTheOtherVCPUsIPI() throws {
        let r = try run("smp", cpus: 2, hcrClear: .TWI)
        assertGuestPassed(r, checks: 21)
        XCTAssertEqual(r.exits.filter { $0.kind == "WFx" }.count, 0)
        let idles = r.hardware.compactMap { if case .idle(_, _, let w) = $0.event { return w } else { return nil } }
        XCTAssertFalse(idles.isEmpty)
        XCTAssertTrue(idles.allSatisfy { $0.hasPrefix("SGI ") || $0.hasPrefix("physical SGI 0") }, "\(idles)")
        // A kicked vCPU exits with an IRQ and the hypervisor flushes the SGI into an LR.
        XCTAssertTrue(r.exits.contains { $0.kind == "IRQ" && $0.detail == "IRQ: kick (SGI 0)" })
    }
}

extension VirtualInterruptTests {
    func testHostTimerTickExitsTheRunningGuestAsAnIRQAndIsInvisibleToIt() throws {
        for mode in VirtualizationMode.allCases {
            var c = Configuration()
            c.mode = mode
            c.hostTickHz = 10_000   // every 200,000 cycles
            c.maxInstructions = 3_000_000
            let vm = try VirtualMachine(c)
            let img = try GuestImage.load(path: FirmwareBuilder().build("daifloop").path, ramBase: c.ramBase, ramSize: c.ramSize)
            try vm.load(img)
            var ticks: [UInt64] = []
            vm.events.observers.append { e in
                if case .exit(let r) = e, r.kind == "IRQ" { XCTAssertEqual(r.detail, "host timer tick (PPI 26)"); ticks.append(r.time) }
            }
            XCTAssertEqual(vm.run(entry: img.entry), .instructionLimit(3_000_000))
            let end = vm.vcpus[0].cpu.clock.cycles
            // One tick per period of virtual time, taken at the first block boundary after it.
            XCTAssertEqual(UInt64(ticks.count), end / 200_000, "\(mode)")
            for (i, t) in ticks.enumerated() {
                XCTAssertGreaterThanOrEqual(t, UInt64(i + 1) * 200_000)
                XCTAssertLessThan(t, UInt64(i + 1) * 200_000 + 20_000)
            }
        }
        // A guest waiting for its own timer still sees only its own interrupts.
        var c = Configuration()
        c.hostTickHz = 10_000
        let vm = try VirtualMachine(c)
        let img = try GuestImage.load(path: FirmwareBuilder().build("vtimer").path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(img)
        XCTAssertEqual(vm.run(entry: img.entry), .guestExit(status: 0, how: "semihosting SYS_EXIT"))
        XCTAssertFalse(vm.output.contains("FAIL"), vm.output)
    }
}

extension VirtualInterruptTests {
    func testMoreInterruptsThanListRegistersUseTheUnderflowMaintenanceInterrupt() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run("sgimany", mode: mode)
            assertGuestPassed(r, checks: 4)
            XCTAssertEqual(VirtualCPUInterface.listRegisterCount, 4)
            // Six SGI exits, then one maintenance IRQ exit once the LRs drain
            // (ICH_HCR_EL2.UIE), which puts the last two in.
            XCTAssertEqual(r.exitsExceptMMIO.map(\.kind), Array(repeating: "SYS64", count: 6) + ["IRQ"], "\(mode)")
            XCTAssertEqual(r.exits.last?.detail, "IRQ: vGIC maintenance")
            let taken = r.hardware.filter { if case .guestException(_, _, "irq", _) = $0.event { return true } else { return false } }
            XCTAssertEqual(taken.count, 6)
        }
    }
}
