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
        XCTAssertTrue(r.stderr.contains("--trace-format must be one of text, jsonl, perfetto, not 'csv'"), r.stderr)
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
        try "{\"name\": \"cheap\", \"cycles\": {\"trap\": 1000, \"eret\": 1}}".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try el2emu(["stats", "--profile", path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any])
        XCTAssertEqual(o["profile"] as? String, "cheap")
        XCTAssertEqual((o["phases"] as? [String: Int])?["entry"], 1000, "one HVC exit: one trap at 1000 cycles")
        XCTAssertEqual(o["total_cycles"] as? Int, 1000 + 1, "only the trap and the ERET are priced")
    }

    func testRunThatEndsInAnErrorEndsItsTraceWithTheError() throws {
        // A two-instruction raw guest: x0 = 0x1000_0000 (no memory there), then a load from it.
        let dir = try temporaryDirectory("error-run")
        let image = dir.appendingPathComponent("bad.bin")
        let words: [UInt32] = [0xD2A2_0000, 0xF940_0001]  // movz x0, #0x1000, lsl #16; ldr x1, [x0]
        try Data(words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }).write(to: image)
        for format in ["text", "jsonl", "perfetto"] {
            let path = dir.appendingPathComponent("t.\(format)").path
            let r = try el2emu(["run", image.path, "--format", "binary", "--trace", path, "--trace-format", format])
            XCTAssertEqual(r.status, 126, r.stderr)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            switch format {
            case "text":
                let last = try XCTUnwrap(text.split(separator: "\n").last)
                XCTAssertTrue(last.contains(" stop ") && last.contains("error: guest read of unmapped address 0x10000000"), String(last))
            case "jsonl":
                let last = try XCTUnwrap(parseJSON(String(text.split(separator: "\n").last!)) as? [String: Any])
                XCTAssertEqual(last["event"] as? String, "stop")
                XCTAssertEqual(last["status"] as? Int, 126)
                XCTAssertTrue((last["error"] as? String)?.contains("unmapped address 0x10000000") ?? false)
            default:
                let root = try XCTUnwrap(parseJSON(text) as? [String: Any])
                let last = try XCTUnwrap((root["traceEvents"] as? [[String: Any]])?.last)
                XCTAssertEqual(last["name"] as? String, "stop")
                XCTAssertTrue(((last["args"] as? [String: Any])?["error"] as? String)?.contains("unmapped address") ?? false)
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
}
