import CostModel
import EL2
import Foundation
import XCTest

/// Each bad option is refused with a message that says what is wrong and what would be right.
final class CommandLineErrorTests: XCTestCase {
    func testUnwritableTracePathIsRefusedBeforeTheRun() throws {
        let r = try el2emu(["run", "--trace", "/nonexistent-dir/t.txt"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("cannot write the trace file '/nonexistent-dir/t.txt': No such file or directory"), r.stderr)
        XCTAssertFalse(r.stdout.contains("Hello"), "the guest did not run")
    }

    func testTraceWriteFailureDuringTheRunIsReported() throws {
        let r = try el2emu(["run", "--trace", "/dev/full"])
        XCTAssertTrue(r.stderr.contains("el2emu: the trace file is incomplete: writing it failed:"), r.stderr)
        XCTAssertTrue(r.stdout.contains("PASS PSCI 1.0 over HVC"), "the guest still ran to the end")
    }

    func testUnknownTraceEventNameIsRefused() throws {
        let r = try el2emu(["run", "--trace", "/dev/null", "--trace-events", "exits,interrupts"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("unknown trace event 'interrupts' in --trace-events: use a comma-separated list of exits, stage2, daif, irq, wfi, psci, mmio"), r.stderr)
    }

    func testUnknownTraceFormatIsRefused() throws {
        let r = try el2emu(["run", "--trace", "/dev/null", "--trace-format", "csv"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("The value 'csv' is invalid for '--trace-format <trace-format>'. Please provide one of 'text', 'jsonl' or 'perfetto'."), r.stderr)
    }

    func testBadHCREntryNamesTheEntryAndTheKnownBits() throws {
        for bad in ["+TWX", "TWI", "+"] {
            let r = try el2emu(["run", "--hcr", bad])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("bad --hcr entry '\(bad)': use +NAME or -NAME with NAME one of VM, SWIO"), r.stderr)
        }
    }

    func testMissingProfileFileIsRefused() throws {
        let r = try el2emu(["run", "--profile", "/nonexistent/profile.json"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--profile: profile '/nonexistent/profile.json' is neither a57, xgene nor a readable file"), r.stderr)
    }

    func testProfileFileWithoutCyclesOrWithAnUnknownOperationIsRefused() throws {
        let dir = try temporaryDirectory("profiles")
        let cases: [(String, String)] = [
            ("[1, 2]", "expected a JSON object with a \"cycles\" object"),
            ("{\"cycles\": {\"teleport\": 3}}", "unknown operation \"teleport\" (known: trap, eret,"),
            ("{\"cycles\": {\"trap\": -1}}", "\"trap\" must be a whole number of cycles from 0 to 1000000"),
            ("{\"trap\": 700, \"eret\": 65}", "expected a JSON object with a \"cycles\" object"),
            ("{\"cycles\": {\"trap\": true}}", "\"cycles.trap\" must be a whole number of cycles"),
            ("{\"cycles\": {\"trap\": 1.5}}", "\"cycles.trap\" must be a whole number of cycles"),
            ("{\"cycles\": {\"trap\": \"27\"}}", "\"cycles.trap\" must be a whole number of cycles"),
            ("{\"cycles\": {\"trap\": 27}, \"base\": \"m1\"}", "\"base\" must be a57 or xgene, not \"m1\""),
            ("{\"cycles\": {\"trap\": 27", "not valid JSON"),
        ]
        for (i, (json, message)) in cases.enumerated() {
            let path = dir.appendingPathComponent("p\(i).json").path
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try el2emu(["stats", "--profile", path])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("--profile: profile file \(path): \(message)"), r.stderr)
        }
    }

    func testAProfileFilePricesTheRun() throws {
        let dir = try temporaryDirectory("profile-ok")
        let path = dir.appendingPathComponent("cheap.json").path
        // Every operation priced (none inherited): 0 but the trap and the ERET.
        let cycles = PricedOperation.allCases.map { "\"\($0.key)\": \($0 == .trapToEL2 ? 1000 : $0 == .eret ? 1 : 0)" }
        try "{\"name\": \"cheap\", \"cycles\": {\(cycles.joined(separator: ", "))}}".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try el2emu(["stats", "--guest", "hypercall", "--profile", path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("warning"), r.stderr)
        let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any])
        XCTAssertEqual(o["profile"] as? String, "cheap")
        XCTAssertEqual((o["phases"] as? [String: Int])?["entry"], 1000, "one HVC exit: one trap at 1000 cycles")
        XCTAssertEqual(o["total_cycles"] as? Int, 1000 + 1, "only the trap and the ERET are priced")
    }

    func testRunThatEndsInAnErrorEndsItsTraceWithTheError() throws {
        // A two-instruction raw guest: x0 = 0x0B00_0000 (no memory there), then a load from it:
        // an external abort, taken at VBAR_EL1 = 0 where nothing is either, over and over.
        let dir = try temporaryDirectory("error-run")
        let image = dir.appendingPathComponent("bad.bin")
        let words: [UInt32] = [0xD2A1_6000, 0xF940_0001]  // movz x0, #0x0B00, lsl #16; ldr x1, [x0]
        try Data(words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }).write(to: image)
        for format in ["text", "jsonl", "perfetto"] {
            let path = dir.appendingPathComponent("t.\(format)").path
            let r = try el2emu(["run", image.path, "--format", "binary", "--trace", path, "--trace-format", format])
            XCTAssertEqual(r.status, 126, r.stderr)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            switch format {
            case "text":
                let last = try XCTUnwrap(text.split(separator: "\n").last)
                XCTAssertTrue(last.contains(" stop ") && last.contains("error: exception storm"), String(last))
            case "jsonl":
                let last = try XCTUnwrap(parseJSON(String(text.split(separator: "\n").last!)) as? [String: Any])
                XCTAssertEqual(last["event"] as? String, "stop")
                XCTAssertEqual(last["status"] as? Int, 126)
                XCTAssertTrue((last["error"] as? String)?.contains("exception storm") ?? false)
            default:
                let root = try XCTUnwrap(parseJSON(text) as? [String: Any])
                let last = try XCTUnwrap((root["traceEvents"] as? [[String: Any]])?.last)
                XCTAssertEqual(last["name"] as? String, "stop")
                XCTAssertTrue(((last["args"] as? [String: Any])?["error"] as? String)?.contains("exception storm") ?? false)
            }
        }
    }

    func testImageThatCannotBeLoadedStillLeavesATraceEndingInTheError() throws {
        let dir = try temporaryDirectory("load-error")
        let path = dir.appendingPathComponent("t.jsonl").path
        let r = try el2emu(["run", "/nonexistent/guest.elf", "--trace", path, "--trace-format", "jsonl"])
        XCTAssertNotEqual(r.status, 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let stop = try XCTUnwrap(parseJSON(String(lines[0])) as? [String: Any])
        XCTAssertEqual(stop["event"] as? String, "stop")
        XCTAssertNotNil(stop["error"] as? String)
    }

    func testHCROverridesChangeWhichExitsHappen() throws {
        let plain = try el2emu(["stats", "--guest", "tracing", "--json"])
        let noTVM = try el2emu(["stats", "--guest", "tracing", "--json", "--hcr", "-TVM"])
        let noTWI = try el2emu(["stats", "--guest", "tracing", "--json", "--hcr=-TWI,-TVM"])
        func kinds(_ r: ProcessResult) throws -> [String: Int] {
            let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any], r.stderr)
            return Dictionary(uniqueKeysWithValues: (o["by_kind"] as? [[String: Any]] ?? []).map { ($0["kind"] as! String, $0["count"] as! Int) })
        }
        XCTAssertEqual(try kinds(plain)["SYS64"], 1, "TVM (KVM's default) traps the SCTLR_EL1 write")
        XCTAssertNil(try kinds(noTVM)["SYS64"], "-TVM: the write no longer traps")
        XCTAssertEqual(try kinds(noTVM)["WFx"], 1)
        XCTAssertNil(try kinds(noTWI)["WFx"], "-TWI: WFI no longer traps")
        XCTAssertNil(try kinds(noTWI)["SYS64"])
    }

    /// A profile that prices only some operations takes the rest from its
    /// base, says which, and then prices exactly as the base does.
    func testPartialProfileInheritsItsBasePricesWithAWarningNamingThem() throws {
        let dir = try temporaryDirectory("partial-profiles")
        let a57 = try el2emu(["stats", "--profile", "a57"])
        for (json, base) in [("{\"cycles\": {}}", "a57"), ("{\"cycles\": {}, \"base\": \"xgene\"}", "xgene")] {
            let path = dir.appendingPathComponent("\(base).json").path
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try el2emu(["stats", "--profile", path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("--profile \(path) leaves \(PricedOperation.allCases.count) operations unpriced; they take its base profile's prices: trap, eret, hvc_to_lowvisor,"), r.stderr)
            XCTAssertEqual(r.stdout, try el2emu(["stats", "--profile", base]).stdout, "priced as \(base)")
        }
        XCTAssertNotEqual(a57.stdout, try el2emu(["stats", "--profile", "xgene"]).stdout, "the bases differ")
        // Two prices set: only those change, and the warning lists the others.
        let path = dir.appendingPathComponent("two.json").path
        try "{\"cycles\": {\"trap\": 700, \"eret\": 65}}".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try el2emu(["stats", "--profile", path])
        XCTAssertTrue(r.stderr.contains("leaves \(PricedOperation.allCases.count - 2) operations unpriced; they take its base profile's prices: hvc_to_lowvisor,"), r.stderr)
        XCTAssertFalse(r.stderr.contains(" trap,"), r.stderr)
        XCTAssertNotEqual(r.stdout, a57.stdout)
    }

    /// `--dtb` takes only a blob whose header describes the file: anything
    /// else is refused in one line before the guest runs; a tree QEMU wrote is taken.
    func testDeviceTreeFilesAreCheckedBeforeTheRun() throws {
        let dir = try temporaryDirectory("dtbs")
        let good = dir.appendingPathComponent("el2emu.dtb").path
        XCTAssertEqual(try el2emu(["dtb", "--out", good]).status, 0)
        let blob = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        func withWord(_ at: Int, _ v: UInt32) -> [UInt8] {
            var b = blob
            for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i)) }
            return b
        }
        let cases: [(String, [UInt8], String)] = [
            ("random", (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, "not a device tree blob (magic 0x"),
            ("empty", [], "0 bytes is too short for a device tree header (40)"),
            ("truncated", Array(blob.prefix(blob.count / 2)), "header says \(blob.count) bytes but the file has \(blob.count / 2)"),
            ("struct-outside", withWord(8, 0x7FFF_FFF0), "its structure block (offset 2147483632,"),
            ("version", withWord(20, 1), "version 1 (last compatible 16) is not one a kernel reads"),
        ]
        for (name, bytes, message) in cases {
            let path = dir.appendingPathComponent(name + ".dtb").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let r = try el2emu(["run", "--dtb", path])
            XCTAssertEqual(r.status, 64, name)
            XCTAssertTrue(r.stderr.contains("--dtb \(path): \(message)"), "\(name): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("Hello"), "the guest did not run")
        }
        // A 3 GiB sparse file is refused by its size, without being read.
        let huge = dir.appendingPathComponent("huge.dtb").path
        XCTAssertTrue(FileManager.default.createFile(atPath: huge, contents: nil))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: huge))
        try h.truncate(atOffset: 3 << 30)
        try h.close()
        let r = try el2emu(["run", "--dtb", huge])
        XCTAssertTrue(r.stderr.contains("--dtb \(huge): 3221225472 bytes is larger than the 2 MiB a device tree may have on arm64"), r.stderr)
        XCTAssertTrue(try el2emu(["run", "--dtb", dir.path]).stderr.contains("not a regular file"))

        // QEMU's own virt tree passes the same checks, and the guest boots on it.
        let qemu = "/usr/bin/qemu-system-aarch64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else { throw XCTSkip("qemu-system-aarch64 is not installed") }
        let qemuTree = dir.appendingPathComponent("qemu.dtb").path
        let q = Process()
        q.executableURL = URL(fileURLWithPath: qemu)
        q.arguments = ["-M", "virt,dumpdtb=\(qemuTree)", "-cpu", "cortex-a57", "-display", "none"]
        q.standardOutput = FileHandle.nullDevice
        q.standardError = FileHandle.nullDevice
        try q.run()
        q.waitUntilExit()
        let booted = try el2emu(["run", "--dtb", qemuTree])
        XCTAssertEqual(booted.status, 0, booted.stderr)
        XCTAssertTrue(booted.stdout.contains("PASS PSCI 1.0 over HVC"), booted.stdout)
    }
}
