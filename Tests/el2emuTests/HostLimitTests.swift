import Foundation
import XCTest

/// Every run ends within a second past `--timeout`, whatever the guest does
/// (loops made only of exits or of exceptions, at EL1 in both designs and at
/// EL2), and at once on SIGINT/SIGTERM with its trace valid in every format;
/// bad limits are refused at the edge; exit statuses never read as a pass or
/// a signal they are not. The guests are flat binaries written here, word by
/// word, so each test shows exactly what the guest does.
final class HostLimitTests: XCTestCase {
    /// How far past its limit a run may end: the bound.
    static let slack: TimeInterval = 1.0

    /// A flat binary: `code` at RAM + 0x80000, and at +0x800 sixteen vectors
    /// that each step over the faulting instruction (ELR += 4) and ERET.
    static func binary(_ code: [UInt32], vectorsAtEL2: Bool = false) -> [UInt8] {
        var words = code + [UInt32](repeating: 0xD503_201F, count: 0x200 - code.count)   // NOP to 0x800
        let mrs: UInt32 = vectorsAtEL2 ? 0xD53C_403E : 0xD538_403E    // MRS X30, ELR_EL2 / ELR_EL1
        let msr: UInt32 = vectorsAtEL2 ? 0xD51C_403E : 0xD518_403E    // MSR ELR_ELx, X30
        for _ in 0..<16 { words += [mrs, 0x9100_13DE, msr, 0xD69F_03E0] + [UInt32](repeating: 0xD503_201F, count: 28) }
        return words.flatMap(le32)
    }

    /// MOVZ X1, #0x0900, LSL #16; LDR W2, [X1, #0x18]; B .-4: the PL011 flag register, read forever (an MMIO exit each).
    static let uartPoll = binary([0xD2A1_2001, 0xB940_1822, 0x17FF_FFFF])
    /// ADR X1, vectors; MSR VBAR_EL1, X1; ISB; MOVZ X2, #0xDEAD, LSL #16; STR W3, [X2]; B .-4:
    /// a store where nothing is mapped (an exit, then an external abort into the guest), forever.
    static let unmappedStores = binary([0x1000_4001, 0xD518_C001, 0xD503_3FDF, 0xD2BB_D5A2, 0xB900_0043, 0x17FF_FFFF])
    /// At EL2: HCR_EL2 = E2H | TGE, VBAR_EL2 = vectors, then the store loop (or, `uart`, the PL011 loop).
    static func el2Loop(uart: Bool) -> [UInt8] {
        binary([0xD2A1_0000, 0xB25E_0000, 0xD51C_1100, 0xD503_3FDF, 0x1000_3F81, 0xD51C_C001, 0xD503_3FDF,
                0xD2BB_D5A2, 0xD2A1_2004, uart ? 0x1400_0003 : 0xD503_201F,
                0xB900_0043, 0x17FF_FFFF, 0xB940_1883, 0x17FF_FFFF], vectorsAtEL2: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = EL2EmuCommand.scratch(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// How long starting and ending el2emu takes on this machine now (a run
    /// of one instruction): not part of the run the limit bounds.
    static let startUp: TimeInterval = {
        let url = EL2EmuCommand.scratch("start-up.bin")
        try? Data(uartPoll).write(to: url)
        return (0..<2).map { _ in
            let start = Date()
            _ = try? EL2EmuCommand.run(["run", "--format", "binary", url.path, "--max-insns", "1"])
            return Date().timeIntervalSince(start)
        }.min() ?? 0
    }()

    /// Runs el2emu and checks it ended by itself, within `limit` + slack (+ start-up).
    func timed(_ args: [String], limit: TimeInterval, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws -> EL2EmuCommand.Result {
        let start = Date()
        let r = try EL2EmuCommand.run(args)
        let took = Date().timeIntervalSince(start)
        XCTAssertLessThanOrEqual(took, limit + Self.slack + Self.startUp,
                                 "\(label): ended \(took) s after start, limit \(limit) s, start-up \(Self.startUp) s", file: file, line: line)
        return r
    }

    func testTimeoutEndsLoopsMadeOnlyOfExitsOrExceptions() throws {
        let uart = try write("uart-poll.bin", Self.uartPoll), stores = try write("stores.bin", Self.unmappedStores)
        let el2Stores = try write("el2-stores.bin", Self.el2Loop(uart: false)), el2UART = try write("el2-uart.bin", Self.el2Loop(uart: true))
        let cases: [(String, [String])] = [
            ("PL011 poll nvhe", [uart.path, "--mode", "nvhe"]), ("PL011 poll vhe", [uart.path, "--mode", "vhe"]),
            ("unmapped stores nvhe", [stores.path, "--mode", "nvhe"]), ("unmapped stores vhe", [stores.path, "--mode", "vhe"]),
            ("EL2 VHE unmapped stores", [el2Stores.path, "--entry-el", "2", "--mode", "vhe"]),
            ("EL2 VHE PL011 poll", [el2UART.path, "--entry-el", "2", "--mode", "vhe"]),
            ("PL011 poll, 4 vCPUs", [uart.path, "--cpus", "4"]),
        ]
        for (label, args) in cases {
            let r = try timed(["run", "--format", "binary", "--timeout", "1"] + args, limit: 1, label)
            XCTAssertEqual(r.status, 124, "\(label): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasSuffix("el2emu: stopped: host time limit of 1.0 s reached (--timeout)\n"), "\(label): \(r.stderr)")
        }
    }

    func testGarbageStage1TablesStormStopsOnEveryVCPUCountAndDesign() throws {
        // Virtual time is frozen: no instruction or cycle limit comes; the storm detector ends it.
        for cpus in ["1", "4"] {
            for mode in ["nvhe", "vhe"] {
                let label = "storm, \(cpus) vCPUs, \(mode)"
                let r = try timed(["run", "--guest", "storm", "--cpus", cpus, "--mode", mode, "--timeout", "5",
                                   "--max-insns", "100000000", "--max-cycles", "1000000000"], limit: 5, label)
                XCTAssertEqual(r.status, 126, "\(label): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("el2emu: error: exception storm: 256 exceptions in a row at vector 0x"), "\(label): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("without the guest running an instruction (vCPU "), "\(label): \(r.stderr)")
                XCTAssertFalse(r.stdout.contains("FAIL"), "\(label): \(r.stdout)")
            }
        }
    }

    func testNonFiniteOrOutOfRangeTimeoutIsRefusedAtTheEdge() throws {
        for value in ["inf", "nan", "2e10", "1e308", "0", "0.0"] {
            let r = try EL2EmuCommand.run(["run", "--guest", "spin", "--timeout", value])
            XCTAssertEqual(r.status, 64, "\(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--timeout must be a number of seconds above 0 and at most 604800"), "\(value): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(value): no guest ran")
        }
    }

    /// SyntheticELF's guest, exiting through semihosting with `status`.
    func exitImage(_ status: UInt64) throws -> URL {
        var elf = SyntheticELF()
        elf.segments[0].bytes = Array(SyntheticELF.exitWithSeven.dropLast(8)) + le64(status)
        return try write("exit-\(status).elf", elf.bytes)
    }

    func testOnlyGuestStatusZeroExitsZeroAndNoGuestStatusReadsAsASignal() throws {
        for (status, expected) in [(0, 0), (7, 7), (63, 63), (64, 63), (124, 63), (139, 63), (256, 63), (UInt64(UInt32.max), 63), (1 << 32, 63)] as [(UInt64, Int32)] {
            let r = try EL2EmuCommand.run(["run", try exitImage(status).path])
            XCTAssertEqual(r.status, expected, "guest status \(status): \(r.stderr)")
            let reported = Int32(exactly: Int64(bitPattern: status)) ?? .max
            XCTAssertTrue(r.stderr.contains("guest exited (semihosting SYS_EXIT) with status \(reported)"), r.stderr)
        }
    }

    func testExitStatusesAreInTheHelp() throws {
        let r = try EL2EmuCommand.run(["run", "--help"])
        for s in ["Exit status: 0 only when the guest exits with status 0", "124 a limit", "125 a deadlock", "126 an error", "128+N signal N"] {
            XCTAssertTrue(r.stdout.replacingOccurrences(of: "\n", with: " ").contains(s), "--help says '\(s)': \(r.stdout)")
        }
    }

    func testHugeSparseImageIsRefusedFromItsSizeWithoutReadingIt() throws {
        for (name, magic) in [("huge.bin", false), ("huge-image.bin", true)] {
            let url = EL2EmuCommand.scratch(name)
            var header = [UInt8](repeating: 0, count: 64)
            if magic { header.replaceSubrange(0x38..<0x3C, with: [0x41, 0x52, 0x4D, 0x64]) }
            try Data(header).write(to: url)
            let h = try FileHandle(forWritingTo: url)
            try h.truncate(atOffset: 2 << 30)   // 2 GiB, sparse
            try h.close()
            defer { try? FileManager.default.removeItem(at: url) }
            let args = magic ? ["run", url.path, "--report-rss"] : ["run", "--format", "binary", url.path, "--report-rss"]
            let r = try timed(args, limit: 1, name)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(url.path): the file has 2147483648 bytes, more than guest RAM (128 MiB; try a larger --mem)"), r.stderr)
        }
    }

    /// Breakpoint and watchpoint registers armed with debug exceptions
    /// enabled (kvm-unit-tests' debug-bp did this): Unicorn 2.0.1 jumped to
    /// NULL. The model now takes the software step exception this guest
    /// asks for, to a VBAR_EL1 it never set: el2emu stays up and stops on
    /// the exception storm with one clear line.
    func testGuestArmingBreakpointsAndWatchpointsDoesNotBringEl2emuDown() throws {
        let code: [UInt32] = [
            0xD510_109F,                // MSR OSLAR_EL1, XZR
            0x1000_01A1, 0xD510_0081,   // ADR X1, target; MSR DBGBVR0_EL1, X1
            0xD280_3CE2, 0xD510_00A2,   // MOV X2, #0x1E7; MSR DBGBCR0_EL1, X2 (enabled, EL1)
            0x1000_0123, 0xD510_00C3,   // ADR X3, target; MSR DBGWVR0_EL1, X3
            0xD283_FEE4, 0xD510_00E4,   // MOV X4, #0x1FF7; MSR DBGWCR0_EL1, X4
            0xD294_0005, 0xB240_00A5, 0xD510_0245,   // MDSCR_EL1 = MDE | KDE | SS
            0xD503_48FF, 0xD503_3FDF,   // MSR DAIFClr, #8; ISB
            0xF940_0066, 0xD503_201F,   // target: LDR X6, [X3]; NOP
            0xD280_0300, 0x1000_0061, 0xD45E_0000, 0x1400_0000,   // semihosting SYS_EXIT, block below
            0x0002_0026, 0, 0, 0,
        ]
        let url = try write("debug-registers.bin", code.flatMap(le32))
        for mode in ["nvhe", "vhe"] {
            let r = try timed(["run", "--format", "binary", "--mode", mode, "--timeout", "5", url.path], limit: 5, mode)
            XCTAssertEqual(r.status, 126, "\(mode): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("exception storm") && r.stderr.contains("at vector 0x200"), "\(mode): \(r.stderr)")
        }
    }
}

/// SIGINT and SIGTERM sent to a running el2emu that writes a trace: the run
/// stops at once, the stop reason names the signal, the status is 128 + n,
/// and the trace so far is complete and valid in every format.
final class SignalTests: XCTestCase {
    func testSignalsStopTheRunAndKeepAValidTraceInEveryFormat() throws {
        let guest = EL2EmuCommand.scratch("signal-uart-poll.bin")
        try Data(HostLimitTests.uartPoll).write(to: guest)
        let exe = try XCTUnwrap(EL2EmuCommand.executable)
        for (signal, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            for format in ["text", "jsonl", "perfetto"] {
                let label = "\(name), \(format)"
                let trace = EL2EmuCommand.scratch("signal-\(name)-\(format).trace")
                try? FileManager.default.removeItem(at: trace)
                defer { try? FileManager.default.removeItem(at: trace) }
                let err = EL2EmuCommand.scratch("signal-\(name)-\(format).stderr")
                FileManager.default.createFile(atPath: err.path, contents: nil)
                let p = Process()
                p.executableURL = exe
                p.arguments = ["run", "--format", "binary", guest.path, "--trace", trace.path, "--trace-format", format, "--timeout", "60"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = try FileHandle(forWritingTo: err)
                try p.run()
                // The run has started once its trace grows (the guest exits on every poll).
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: trace.path)[.size] as? Int) ?? 0) < 4096 {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                kill(p.processIdentifier, signal)
                let sent = Date()
                p.waitUntilExit()
                XCTAssertLessThanOrEqual(Date().timeIntervalSince(sent), HostLimitTests.slack + HostLimitTests.startUp, label)
                XCTAssertEqual(p.terminationReason, .exit, "\(label): el2emu ended itself, not killed by the signal")
                XCTAssertEqual(p.terminationStatus, 128 + signal, label)
                let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                XCTAssertTrue(stderr.hasSuffix("el2emu: stopped: \(name) received\n"), "\(label): \(stderr)")
                let text = try String(contentsOf: trace, encoding: .utf8)
                switch format {
                case "text":
                    let last = text.split(separator: "\n").last.map(String.init) ?? ""
                    XCTAssertTrue(last.contains(" stop ") && last.hasSuffix("stopped: \(name) received"), "\(label): \(last)")
                case "jsonl":
                    let lines = text.split(separator: "\n")
                    let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    XCTAssertEqual(objects.count, lines.count, "\(label): every line is JSON")
                    XCTAssertEqual(objects.last?["event"] as? String, "stop", label)
                    XCTAssertEqual(objects.last?["reason"] as? String, "stopped: \(name) received", label)
                    XCTAssertEqual(objects.last?["status"] as? Int, Int(128 + signal), label)
                default:
                    let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
                    let events = (json as? [String: Any])?["traceEvents"] as? [[String: Any]] ?? (json as? [[String: Any]]) ?? []
                    XCTAssertGreaterThan(events.count, 1, label)
                    XCTAssertTrue(text.contains("stopped: \(name) received"), "\(label): the stop is in the trace")
                }
            }
        }
    }
}
