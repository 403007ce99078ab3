import Foundation
import GDBRemote
import XCTest

/// The stub's Ctrl-C path, driven by a raw protocol client (gdb's batch mode
/// cannot interrupt a running target).
final class GDBInterruptTests: XCTestCase {
    func testCtrlCStopsARunningGuestWithSIGINT() throws {
        let dir = try temporaryDirectory("gdb-interrupt")
        let image = dir.appendingPathComponent("spin.bin")
        try Data([0x00, 0x00, 0x00, 0x14]).write(to: image)  // b .
        let (stub, c) = try GDBClient.startStub(image: image.path, extra: ["--format", "binary", "--timeout", "60"])
        defer { if stub.isRunning { stub.terminate() } }
        c.send(packet: "?")
        XCTAssertTrue(c.receive(until: "#").contains("$T05thread:1;"), "--wait-gdb: stopped before the first instruction")
        c.send(packet: "p20")
        let pc = c.receive(until: "#")
        XCTAssertTrue(pc.contains("$0000084000000000#"), pc)
        c.send(packet: "c")
        XCTAssertEqual(c.receive(until: "+"), "+", "continue is acknowledged and the guest runs")
        c.send([0x03])
        XCTAssertTrue(c.receive(until: "#").contains("$T02thread:1;"), "Ctrl-C stops it with SIGINT")
        c.send(packet: "p20")
        XCTAssertTrue(c.receive(until: "#").contains("$0000084000000000#"), "still at the spinning branch")
        c.send(packet: "k")
        stub.waitUntilExit()
        XCTAssertEqual(stub.terminationStatus, 126)
    }
}
