import Foundation
import GDBRemote
import GuestBuild
import XCTest

/// A debugger client is hostile input: random and mangled packets, sent to a
/// stub that holds a stopped guest, must each get an answer (or a `-` for a
/// bad checksum) and never crash el2emu or stop it from serving the next.
final class GDBPacketFuzzTests: XCTestCase {
    typealias Random = SplitMix64

    /// Numbers where parsers break: zero, edges of 64 bits, too long, not hex.
    static func number(_ r: inout Random) -> String {
        r.pick(["0", "1", "ffffffffffffffff", "fffffffffffffffff", "8000000000000000", "-1", "", "zz",
                String(0x4008_0000 + UInt64(r.below(0x1000)), radix: 16), String(r.next(), radix: 16), String(r.below(0x10000), radix: 16)])
    }

    static func hexBytes(_ r: inout Random) -> String {
        (0..<r.below(40)).map { _ in String(format: "%02x", r.below(256)) }.joined() + (r.below(8) == 0 ? "z" : "")
    }

    /// A packet of a command the stub serves, with hostile arguments. No
    /// resume, kill or detach: the guest stays stopped for the next packet.
    static func packet(_ r: inout Random) -> String {
        let n = { (r: inout Random) in number(&r) }
        switch r.below(14) {
        case 0: return "m\(n(&r)),\(n(&r))"
        case 1: return "M\(n(&r)),\(n(&r)):\(hexBytes(&r))"
        case 2: return "p\(n(&r))"
        case 3: return "P\(n(&r))=\(hexBytes(&r))"
        case 4: return "g"
        case 5: return "G\(hexBytes(&r))"
        case 6: return "\(r.pick(["Z", "z"]))\(r.pick(["0", "1", "2", "x", ""])),\(n(&r)),\(n(&r))"
        case 7: return "qXfer:features:read:target.xml:\(n(&r)),\(n(&r))"
        case 8: return "qXfer:\(r.pick(["features", "memory-map", ""])):\(r.pick(["read", "write"])):\(r.pick(["target.xml", "x"])):\(n(&r))"
        case 9: return "q\(r.pick(["Supported", "C", "fThreadInfo", "sThreadInfo", "Attached", "Symbol", "Rcmd", ""])):\(hexBytes(&r))"
        case 10: return "\(r.pick(["H", "T"]))\(r.pick(["g", "c", ""]))\(n(&r))"
        case 11: return r.pick(["vCont?", "vCont;x", "vCont;", "vMustReplyEmpty", "vFile:open:", "?"])
        case 12: return String(repeating: r.pick(["m", "0", ",", ":", "}"]), count: r.below(5000))
        default:
            // Printable noise whose first letter is none that resumes, kills or detaches.
            let head = r.pick(Array("abefghijlmnopqrtuwxyzABEFGHIJLMNOPQRTUWXYZ0123456789?!=".map(String.init)))
            return head + String((0..<r.below(60)).map { _ in Character(UnicodeScalar(UInt8(32 + r.below(95)))) })
        }
    }

    /// Raw bytes on the wire: bad checksums, lone framing characters, run-length and escape bytes.
    static func garbage(_ r: inout Random) -> [UInt8] {
        (0..<r.below(200)).map { _ in r.pick([UInt8(ascii: "$"), UInt8(ascii: "#"), UInt8(ascii: "}"), UInt8(ascii: "*"),
                                               UInt8(ascii: "+"), UInt8(ascii: "-"), 0x03, 0x00, 0xFF, UInt8(truncatingIfNeeded: r.next())]) }
    }

    func testRandomAndMangledPacketsAreAnsweredAndNeverStopTheStub() throws {
        let dir = try temporaryDirectory("gdb-fuzz")
        let image = dir.appendingPathComponent("spin.bin")
        try Data([0x00, 0x00, 0x00, 0x14]).write(to: image)  // b .
        let started = Date()
        let (stub, c) = try GDBClient.startStub(image: image.path, extra: ["--format", "binary", "--timeout", "120"])
        defer { if stub.isRunning { stub.terminate() } }

        // The packet an audit found crashing the stub (offset + length overflowed).
        c.send(packet: "qXfer:features:read:target.xml:1,ffffffffffffffff")
        let xml = c.receive(until: "</target>")
        XCTAssertTrue(xml.contains("$l?xml version"), "the rest of target.xml from offset 1, as the last chunk: \(xml.prefix(80))")

        var r = Random(state: 0x6462_6766_757A_7A)
        for i in 0..<600 {
            let sent = r.below(5) == 0 ? Self.garbage(&r) : Packet.frame(Self.packet(&r))
            c.send(sent)
            // "##00" ends any packet the noise left open (the first '#' may be
            // taken as an escaped or repeat-count byte); the stop reply then proves the stub still serves.
            c.send(Array("##00".utf8))
            c.send(packet: "?")
            let answer = c.receive(until: "T05thread:1;")
            guard answer.contains("T05thread:1;") else {
                XCTFail("iteration \(i), after \(String(decoding: sent.prefix(200), as: UTF8.self).debugDescription): the stub stopped answering (\(stub.isRunning ? "running" : "exited \(stub.terminationStatus)"))")
                return
            }
            c.drain()
        }
        c.send(packet: "k")
        stub.waitUntilExit()
        XCTAssertEqual(stub.terminationStatus, 126, "killed by the debugger, not by a crash")
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
    }
}

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(below(UInt64(n))) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}
