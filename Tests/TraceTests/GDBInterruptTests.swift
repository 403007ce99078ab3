import Foundation
import GDBRemote
import XCTest

/// The stub's Ctrl-C path, driven by a raw protocol client (gdb's batch mode
/// cannot interrupt a running target).
final class GDBInterruptTests: XCTestCase {
    /// A minimal blocking TCP client to the stub.
    final class Client {
        let fd: Int32
        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard r == 0 else { throw XCTSkip("cannot connect to the stub") }
        }
        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        func send(packet p: String) { send(Packet.frame(p)) }
        /// Reads until `marker` arrives or 10 s pass.
        func receive(until marker: String) -> String {
            var text = ""
            let deadline = Date().addingTimeInterval(10)
            while !text.contains(marker) && Date() < deadline {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) > 0 else { continue }
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                text += String(decoding: buf[0..<n], as: UTF8.self)
            }
            return text
        }
        deinit { close(fd) }
    }

    func testCtrlCStopsARunningGuestWithSIGINT() throws {
        let dir = try temporaryDirectory("gdb-interrupt")
        let image = dir.appendingPathComponent("spin.bin")
        try Data([0x00, 0x00, 0x00, 0x14]).write(to: image)  // b .
        let stub = Process()
        stub.executableURL = el2emuBinary
        stub.arguments = ["run", image.path, "--format", "binary", "--gdb", "0", "--wait-gdb", "--timeout", "60"]
        let err = Pipe()
        stub.standardError = err
        stub.standardOutput = FileHandle.nullDevice
        try stub.run()
        defer { if stub.isRunning { stub.terminate() } }
        let first = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        let port = try XCTUnwrap(first.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression).flatMap { Int(first[$0].split(separator: ":")[1]) }, first)
        let c = try Client(port: port)
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
