import AArch64
import EL2
import GuestBuild
@testable import Hypervisor
import XCTest

/// Hostile guests (Firmware/guests/hostile.c, one variant per x0): bad MMIO,
/// PSCI and semihosting arguments, impossible SGI targets, timer extremes,
/// vectors that point nowhere and broken stage-1 tables. Each run must end
/// with the architecture's behaviour or a clear error, in both designs; the
/// guest checks what it sees (PASS/FAIL lines) and the test checks what the
/// hypervisor recorded (exits, guest aborts, events).
final class HostileGuestTests: XCTestCase {
    enum Variant: UInt64 { case mmio = 0, psci, semihosting, sgi, timer, vbar, tables, oddAccesses, granule64K, ttbrBeyondRAM }

    /// One run with every event kept.
    struct Run {
        let vm: VirtualMachine
        let reason: StopReason
        let events: [HypervisorEvent]
        var output: String { vm.output }
        var exits: [ExitRecord] { events.compactMap { if case .exit(let r) = $0 { return r }; return nil } }
        var notes: [String] { events.compactMap { if case .note(_, _, let s) = $0 { return s }; return nil } }
        var psciCalls: [String] { events.compactMap { if case .psci(_, _, let c, _) = $0 { return c }; return nil } }
        /// Exceptions taken into the guest (by the hardware or injected): (vector, ESR).
        var guestExceptions: [(vector: UInt64, kind: String, esr: ExceptionSyndrome?)] {
            events.compactMap {
                if case .hardware(_, _, .guestException(_, let v, let k, let e)) = $0 { return (v, k, e) }
                return nil
            }
        }
        var pendedInterrupts: [Int] {
            events.compactMap { if case .hardware(_, _, .virtualInterrupt(let i, true)) = $0 { return i }; return nil }
        }
        var externalAborts: [(ipa: UInt64, reason: String)] {
            vm.guestAborts.compactMap { if case .externalAbortInjected(let why) = $0.resolution { return ($0.ipa, why) }; return nil }
        }
        var passes: Int { output.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.count }
    }

    func run(_ variant: Variant, mode: VirtualizationMode, cpus: Int = 1, stage2: Bool = true) throws -> Run {
        var c = Configuration()
        if !stage2 { c.hcrClear = [.VM] }
        c.mode = mode
        c.cpus = cpus
        c.maxInstructions = 20_000_000
        let vm = try VirtualMachine(c)
        let image = try GuestImage.load(path: FirmwareBuilder().build("hostile").path, ramBase: c.ramBase, ramSize: c.ramSize)
        try vm.load(image)
        var events: [HypervisorEvent] = []
        vm.events.observers.append { events.append($0) }
        let reason = vm.run(entry: image.entry, x0: variant.rawValue)
        return Run(vm: vm, reason: reason, events: events)
    }

    /// The guest exited through semihosting with status 0 (its failure count) and printed `passes` PASS lines.
    func assertGuestPassed(_ r: Run, passes: Int, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), "\(label)\n\(r.output)", file: file, line: line)
        XCTAssertFalse(r.output.contains("FAIL"), "\(label)\n\(r.output)", file: file, line: line)
        XCTAssertEqual(r.passes, passes, "\(label)\n\(r.output)", file: file, line: line)
        if case .stop(_, let last)? = r.events.last { XCTAssertEqual(last, r.reason, label, file: file, line: line) }
        else { XCTFail("\(label): the last event is not the stop", file: file, line: line) }
    }

    // MARK: 1. MMIO

    func testMMIOAtOddAddressesAndEveryWidthIsEmulatedOnDevicesAndAbortsElsewhere() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.mmio, mode: mode)
            assertGuestPassed(r, passes: 6, "\(mode)")
            XCTAssertTrue(r.output.contains("uart after hostile MMIO"), "\(mode): the UART still works")
            // Emulated: the test device at odd offsets, every width, both directions.
            let mmio = r.vm.guestAborts.compactMap { a -> (String, UInt64, Bool, Int)? in
                if case .mmio(let d, let off, let w, let size, _) = a.resolution { return (d, off, w, size) }
                return nil
            }
            for (i, width) in [1, 2, 4, 8].enumerated() {
                let off = UInt64(0x201 + 0x10 * i)
                XCTAssertTrue(mmio.contains { $0 == ("testdev", off, true, width) }, "\(mode): testdev write +0x\(String(off, radix: 16)) size \(width)")
                XCTAssertTrue(mmio.contains { $0 == ("testdev", off, false, width) }, "\(mode): testdev read +0x\(String(off, radix: 16)) size \(width)")
                XCTAssertTrue(mmio.contains { $0 == ("gicd", 0xFFF, false, width) }, "\(mode): GICD read +0xfff size \(width)")
                XCTAssertTrue(mmio.contains { $0 == ("gicd", 0xFFF, true, width) }, "\(mode): GICD write +0xfff size \(width)")
            }
            XCTAssertTrue(mmio.contains { $0 == ("testdev", 0xFFF, false, 8) }, "\(mode): an 8-byte read at the device's last byte is emulated")
            // Aborted: four unbacked IPAs, four widths, read and write; and one LDP on the device.
            let holes = r.externalAborts.filter { $0.reason == "no RAM or device at the IPA" }
            XCTAssertEqual(holes.count, 32, "\(mode)")
            XCTAssertEqual(Set(holes.map(\.ipa)), [0x0B00_0000, 0x0B00_0001, 0x0C00_0007, 0x0BFF_FFF9], "\(mode)")
            XCTAssertEqual(r.externalAborts.filter { $0.reason == "MMIO without instruction syndrome (ISV=0)" }.map(\.ipa), [0x0A00_0100], "\(mode)")
            // The trace: each injection is a DABT_LOW exit saying so, and the guest's vector took EC 0x25 DFSC 0x10.
            XCTAssertEqual(r.exits.filter { $0.kind == "DABT_LOW" && $0.detail.hasSuffix("external abort injected") }.count, 33, "\(mode)")
            let injected = r.guestExceptions.filter { $0.esr?.ec == .dataAbortCurrentEL && $0.esr.map { $0.raw & 0x3F } == 0x10 }
            XCTAssertEqual(injected.count, 33, "\(mode)")
        }
    }

    // MARK: 2. PSCI

    func testPSCICallsWithBadArgumentsReturnPSCIErrors() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.psci, mode: mode, cpus: 2)
            assertGuestPassed(r, passes: 20, "\(mode)")
            let details = r.exits.filter { $0.kind == "HVC64" || $0.kind == "SMC64" }.map(\.detail)
            XCTAssertEqual(Array(details.prefix(8)), [
                "SMC CPU_ON -> invalidParameters", "HVC CPU_ON -> invalidParameters",
                "HVC CPU_ON -> invalidAddress", "HVC CPU_ON -> invalidAddress", "HVC CPU_ON -> invalidAddress",
                "HVC CPU_ON -> alreadyOn", "HVC CPU_ON -> success", "HVC CPU_ON -> alreadyOn",
            ], "\(mode)")
            for unknown in ["HVC 0x8400ffff: NOT_SUPPORTED", "SMC 0xc6000001: NOT_SUPPORTED", "HVC 0x0: NOT_SUPPORTED", "HVC 0xffffffff: NOT_SUPPORTED"] {
                XCTAssertTrue(details.contains(unknown), "\(mode): \(unknown)")
            }
            XCTAssertEqual(r.psciCalls.filter { $0.hasPrefix("CPU_ON cpu1") }.count, 1, "\(mode): only the valid CPU_ON started cpu1")
            XCTAssertTrue(r.psciCalls.contains { $0.hasPrefix("CPU_ON cpu1") && $0.hasSuffix("context=0x51") }, "\(mode)")
            XCTAssertEqual(r.vm.vcpus[1].powerState, .on, "\(mode)")
        }
    }

    // MARK: 3. Semihosting

    func testSemihostingWithBadPointersReturnsMinusOneAndExitWithABadBlockIsStatusOne() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.semihosting, mode: mode)
            // SYS_EXIT with an unreadable block: status 1 (not ADP_Stopped_ApplicationExit).
            XCTAssertEqual(r.reason, .guestExit(status: 1, how: "semihosting SYS_EXIT"), "\(mode)\n\(r.output)")
            XCTAssertFalse(r.output.contains("FAIL"), "\(mode)\n\(r.output)")
            XCTAssertEqual(r.passes, 8, "\(mode)\n\(r.output)")
            // The string without NUL: its 16 bytes are printed, then the end of RAM stops it.
            XCTAssertTrue(r.output.contains("[ZZZZZZZZZZZZZZZZ]\n"), "\(mode)\n\(r.output)")
            XCTAssertTrue(r.output.hasSuffix("semihosting exit with a bad block\n"), "\(mode)")
            for n in ["semihosting SYS_WRITE0: guest pointer 0x10000000 is not readable",
                      "semihosting SYS_WRITE0: guest pointer 0xfffffffffffffffc is not readable",
                      "semihosting SYS_WRITE0: guest pointer 0x48000000 is not readable",
                      "semihosting SYS_WRITEC: guest pointer 0x10000000 is not readable",
                      "semihosting SYS_WRITEC: guest pointer 0x48000000 is not readable",
                      "semihosting: unsupported operation 0x99",
                      "semihosting: unsupported operation 0xffffffff"] {
                XCTAssertTrue(r.notes.contains(n), "\(mode): note \(n)\n\(r.notes)")
            }
        }
    }

    // MARK: 4. SGIs

    func testSGIsToAbsentCPUsAndOtherAffinitiesAreDropped() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.sgi, mode: mode)
            assertGuestPassed(r, passes: 3, "\(mode)")
            XCTAssertEqual(r.exits.filter { $0.detail.contains("MSR ICC_SGI1R_EL1") }.count, 8, "\(mode): every write trapped")
            // Of SGIs 1-9 only 9 (to itself) was ever made pending.
            XCTAssertEqual(r.pendedInterrupts.filter { $0 < 16 }, [9], "\(mode)")
        }
    }

    // MARK: 5. Timer

    func testTimerExtremesSetISTATUSAsTheArchitectureSaysAndNeverHang() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.timer, mode: mode)
            assertGuestPassed(r, passes: 11, "\(mode)")
            // CVAL 0 (twice, once through WFI) and negative TVAL iff its condition held: the guest counted them;
            // the hypervisor injected PPI 27 for each and never for the masked or UINT64_MAX timers.
            let injections = r.exits.filter { $0.kind == "IRQ" && $0.detail.contains("PPI 27") }.count
            let delivered = r.guestExceptions.filter { $0.kind == "irq" }.count
            XCTAssertGreaterThanOrEqual(injections, 2, "\(mode)")
            XCTAssertEqual(delivered, r.pendedInterrupts.filter { $0 == 27 }.count, "\(mode): every pended PPI 27 was taken")
            XCTAssertTrue((2...3).contains(delivered), "\(mode): \(delivered) timer interrupts")
        }
    }

    // MARK: 6. Vectors pointing nowhere

    func testVBARPointingNowhereEndsInTheExceptionStormError() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.vbar, mode: mode)
            guard case .error(let message) = r.reason else { return XCTFail("\(mode): \(r.reason)") }
            XCTAssertTrue(message.hasPrefix("exception storm: 256 exceptions in a row at vector 0x10000200"), "\(mode): \(message)")
            XCTAssertEqual(r.reason.exitStatus, 126)
            // The UDF (EC 0x00) to VBAR+0x200, then one injected instruction abort per fetch from there.
            let taken = r.guestExceptions
            XCTAssertEqual(taken.first?.esr?.ec, .unknown, "\(mode)")
            XCTAssertTrue(taken.allSatisfy { $0.vector == 0x1000_0200 && $0.kind == "sync" }, "\(mode)")
            XCTAssertGreaterThanOrEqual(taken.count, 256, "\(mode)")
            let fetches = r.exits.filter { $0.kind == "IABT_LOW" }
            XCTAssertEqual(fetches.count, taken.count - 1, "\(mode)")
            XCTAssertTrue(fetches.allSatisfy { $0.detail == "stage-2 abort at IPA 0x10000200 (pc 0x10000200): instruction fetch outside RAM: external abort injected" }, "\(mode)")
            XCTAssertTrue(taken.dropFirst().allSatisfy { $0.esr?.ec == .instructionAbortCurrentEL && $0.esr.map { $0.raw & 0x3F } == 0x10 }, "\(mode)")
            if case .stop(_, let last)? = r.events.last { XCTAssertEqual(last, r.reason) } else { XCTFail("\(mode): no stop event last") }
        }
    }

    // MARK: 7. Stage-1 tables

    func testHostileStage1TablesEndInFaultsTheGuestSees() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.tables, mode: mode)
            assertGuestPassed(r, passes: 14, "\(mode)")
            XCTAssertTrue(r.output.hasSuffix("MMU off\n"), "\(mode)")
            // What went through the hypervisor: output addresses and a table beyond RAM, a table in MMIO.
            XCTAssertEqual(r.externalAborts.map(\.ipa), [0x8000_0010, 0x8000_0020, 0x2_0000_0000, 0x0A00_0000, 0x8000_0000], "\(mode)")
            XCTAssertEqual(r.externalAborts.map(\.reason), ["no RAM or device at the IPA", "no RAM or device at the IPA", "stage-1 table outside RAM",
                                                             "stage-1 table in MMIO", "instruction fetch outside RAM"], "\(mode)")
            let walks = r.vm.guestAborts.filter { $0.esr.s1ptw }.map(\.ipa)
            XCTAssertEqual(walks, [0x2_0000_0000, 0x0A00_0000], "\(mode): the table reads are S1PTW aborts")
            // What the guest's vector took: (EC, FSC) of every synchronous exception, in order.
            let taken = r.guestExceptions.compactMap { $0.esr }.map { [$0.raw >> 26 & 0x3F, $0.raw & 0x3F] }
            XCTAssertEqual(taken, [[0x25, 0x07], [0x25, 0x0B], [0x25, 0x10], [0x25, 0x10], [0x25, 0x0B], [0x25, 0x06], [0x25, 0x05],
                                   [0x25, 0x10], [0x25, 0x10], [0x21, 0x05], [0x21, 0x10], [0x21, 0x07]], "\(mode)")
        }
    }

    // MARK: 8. Accesses KVM cannot emulate

    func testAccessesWithoutASyndromeAndFetchesFromDevicesTakeExternalAborts() throws {
        for mode in VirtualizationMode.allCases {
            let r = try run(.oddAccesses, mode: mode)
            assertGuestPassed(r, passes: 12, "\(mode)")
            XCTAssertEqual(r.externalAborts.filter { $0.reason == "MMIO without instruction syndrome (ISV=0)" }.map(\.ipa),
                           [0x0A00_0100, 0x0A00_0108, 0x0A00_0100, 0x0A00_0100], "\(mode): LDXR, LDR writeback, LDR Q0, DC ZVA")
            XCTAssertEqual(r.externalAborts.filter { $0.reason == "instruction fetch outside RAM" }.map(\.ipa), [0x0A00_0000, 0x0B00_0000], "\(mode)")
            XCTAssertEqual(r.externalAborts.filter { $0.reason == "no RAM or device at the IPA" }.map(\.ipa), [0x0B00_0000, 0x0B00_0000, 0x4800_0000], "\(mode): STP, DC ZVA, the load across the end of RAM")
        }
    }

    // MARK: Stage 2 off

    /// With `--hcr -VM` the guest reaches the physical map directly (devices
    /// through Unicorn's MMIO callbacks, no KVM emulation limits): the answers
    /// differ, but every variant still ends as it should.
    func testEveryVariantEndsWithStage2Off() throws {
        for mode in VirtualizationMode.allCases {
            for v in [Variant.mmio, .psci, .semihosting, .sgi, .timer, .vbar, .tables, .oddAccesses] {
                let r = try run(v, mode: mode, cpus: v == .psci ? 2 : 1, stage2: false)
                switch (v, r.reason) {
                case (.vbar, .error(let m)): XCTAssertTrue(m.hasPrefix("exception storm"), "\(mode) \(v): \(m)")
                case (.semihosting, .guestExit(1, "semihosting SYS_EXIT")): break
                case (_, .guestExit(_, "semihosting SYS_EXIT")) where v != .vbar && v != .semihosting: break
                default: XCTFail("\(mode) \(v): \(r.reason)\n\(r.output)")
                }
                if case .stop(_, let last)? = r.events.last { XCTAssertEqual(last, r.reason, "\(mode) \(v)") } else { XCTFail("\(mode) \(v): no stop event") }
            }
        }
    }

    // MARK: 9. MMU set-ups nothing survives

    /// The exception storm ends both, and the trace holds what led to it.
    func testBrokenStage1SetUpsEndInTheExceptionStormError() throws {
        for mode in VirtualizationMode.allCases {
            // TTBR0_EL1 beyond RAM: every fetch's walk takes a stage-2 abort, each becomes an injected external abort.
            let ttbr = try run(.ttbrBeyondRAM, mode: mode)
            guard case .error(let m) = ttbr.reason else { return XCTFail("\(mode): \(ttbr.reason)") }
            XCTAssertTrue(m.hasPrefix("exception storm: 256 exceptions in a row at vector 0x40082200"), "\(mode): \(m)")
            XCTAssertTrue(ttbr.vm.guestAborts.allSatisfy { $0.esr.s1ptw && HPFAR.pageIPA($0.hpfar) == 0x2_0000_0000 }, "\(mode): S1PTW on the table")
            XCTAssertTrue(ttbr.externalAborts.allSatisfy { $0.reason == "stage-1 table outside RAM" }, "\(mode)")
            XCTAssertGreaterThanOrEqual(ttbr.vm.guestAborts.count, 255, "\(mode)")
            XCTAssertTrue(ttbr.guestExceptions.allSatisfy { $0.esr?.ec == .instructionAbortCurrentEL }, "\(mode)")
            // A 64 KiB granule over 4 KiB tables: the run stops with the walker's
            // message when a fault reaches it, or, if Unicorn walks the tables
            // itself first, when the vector decodes as UNDEF again and again.
            let granule = try run(.granule64K, mode: mode)
            guard case .error(let g) = granule.reason else { return XCTFail("\(mode): \(granule.reason)") }
            if g.hasPrefix("exception storm") {
                XCTAssertTrue(g.hasPrefix("exception storm: 256 exceptions in a row at vector 0x40082200"), "\(mode): \(g)")
                XCTAssertTrue(granule.guestExceptions.suffix(255).allSatisfy { $0.esr?.ec == .unknown && $0.vector == 0x4008_2200 }, "\(mode)")
            } else {
                XCTAssertEqual(g, "the guest's stage 1 uses a 16/64 KiB granule; el2emu walks 4 KiB tables only", "\(mode)")
            }
        }
    }
}
