import Foundation
import GDBRemote
import XCTest

/// A minimal blocking TCP client to el2emu's GDB stub, for raw protocol
/// tests (gdb's batch mode cannot interrupt a target or send bad packets).
final class GDBClient {
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

    /// Starts `el2emu run IMAGE --gdb 0 --wait-gdb` and connects to the port it names.
    static func startStub(image: String, extra: [String]) throws -> (Process, GDBClient) {
        let stub = Process()
        stub.executableURL = el2emuBinary
        stub.arguments = ["run", image, "--gdb", "0", "--wait-gdb"] + extra
        let err = Pipe()
        stub.standardError = err
        stub.standardOutput = FileHandle.nullDevice
        try stub.run()
        let first = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        let port = try XCTUnwrap(first.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression).flatMap { Int(first[$0].split(separator: ":")[1]) }, first)
        return (stub, try GDBClient(port: port))
    }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    func send(packet p: String) { send(Packet.frame(p)) }

    /// Reads until `marker` arrives or `seconds` pass.
    func receive(until marker: String, seconds: Double = 10) -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(seconds)
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

    /// Reads whatever has already arrived (a late duplicate reply), without waiting.
    func drain() {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var buf = [UInt8](repeating: 0, count: 4096)
        while poll(&p, 1, 0) > 0, buf.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
    }

    deinit { close(fd) }
}
