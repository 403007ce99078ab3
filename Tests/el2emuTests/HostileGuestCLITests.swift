import Foundation
import XCTest

/// `el2emu run --guest hostile` as a user runs it: x0 is the device tree's
/// address, so the guest runs its MMIO variant (hostile.c). The trace ends
/// with the stop event and its status, after the injected external aborts.
final class HostileGuestCLITests: XCTestCase {
    func testHostileMMIOGuestThroughTheCLIEndsItsTraceWithTheStop() throws {
        for mode in ["nvhe", "vhe"] {
            let trace = EL2EmuCommand.scratch("hostile-\(mode).jsonl")
            defer { try? FileManager.default.removeItem(at: trace) }
            let r = try EL2EmuCommand.run(["run", "--guest", "hostile", "--mode", mode, "--trace", trace.path, "--trace-format", "jsonl"])
            XCTAssertEqual(r.status, 0, "\(mode): \(r.stderr)")
            XCTAssertTrue(r.stdout.hasPrefix("hostile variant 0\n"), "\(mode): \(r.stdout)")
            XCTAssertFalse(r.stdout.contains("FAIL"), "\(mode): \(r.stdout)")
            let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n")
            let last = try XCTUnwrap(lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }, mode)
            XCTAssertEqual(last["event"] as? String, "stop", mode)
            XCTAssertEqual(last["status"] as? Int, 0, mode)
            XCTAssertEqual(last["reason"] as? String, "guest exited (semihosting SYS_EXIT) with status 0", mode)
            XCTAssertTrue(last["error"] is NSNull, mode)
            // Before it: 33 exits that injected an external abort, and the exceptions the guest's vector took for them.
            let events = lines.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            XCTAssertEqual(events.count, lines.count - 1, "\(mode): every line is JSON")
            let injected = events.filter { $0["event"] as? String == "exit" && ($0["detail"] as? String)?.hasSuffix("external abort injected") == true }
            XCTAssertEqual(injected.count, 33, mode)
            XCTAssertFalse(events.contains { $0["event"] as? String == "stop" }, "\(mode): one stop, at the end")
        }
    }
}
