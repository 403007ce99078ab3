import GDBRemote
import XCTest

final class GDBRemoteProtocolTests: XCTestCase {
    func testFramingAddsTheModulo256ChecksumAndEscapes() {
        XCTAssertEqual(String(decoding: Packet.frame("OK"), as: UTF8.self), "$OK#9a")
        XCTAssertEqual(String(decoding: Packet.frame(""), as: UTF8.self), "$#00")
        // '#' (0x23) is sent as '}' then 0x03.
        XCTAssertEqual(Packet.frame([0x23]), Array("$}".utf8) + [0x03] + Array("#80".utf8))
    }

    func testDecoderYieldsPacketsAcksAndInterruptAndRejectsBadChecksums() {
        var d = PacketDecoder()
        XCTAssertEqual(d.feed(Array("+$g#67".utf8)), [.ack, .packet("g")])
        XCTAssertEqual(d.feed(Array("$g#68".utf8)), [.corrupt])
        XCTAssertEqual(d.feed([0x03]), [.interrupt])
        // Split across reads, with a run-length run: "0* " is '0' and 3 more.
        XCTAssertEqual(d.feed(Array("$m0* ".utf8)), [])
        let sum = Packet.checksum(Array("m0* ".utf8))
        XCTAssertEqual(d.feed(Array("#".utf8) + Array(String(format: "%02x", sum).utf8)), [.packet("m0000")])
    }

    func testCommandsParseAddressesLengthsAndRegisterNumbers() {
        XCTAssertEqual(Command("m40080000,4"), .readMemory(address: 0x4008_0000, length: 4))
        XCTAssertEqual(Command("M40080000,2:1f20"), .writeMemory(address: 0x4008_0000, bytes: [0x1F, 0x20]))
        XCTAssertEqual(Command("M40080000,3:1f20"), .unsupported("M40080000,3:1f20"), "length and data disagree")
        XCTAssertEqual(Command("Z0,40080094,4"), .insertBreakpoint(0x4008_0094))
        XCTAssertEqual(Command("z0,40080094,4"), .removeBreakpoint(0x4008_0094))
        XCTAssertEqual(Command("p20"), .readRegister(32))
        XCTAssertEqual(Command("P1f=0100000000000000"), .writeRegister(31, [1, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(Command("vCont;s:1"), .vCont(step: true, thread: 1))
        XCTAssertEqual(Command("vCont;s:2;c"), .vCont(step: true, thread: 2))
        XCTAssertEqual(Command("vCont;C05:1;c"), .vCont(step: false, thread: nil))
        XCTAssertEqual(Command("Hg2"), .setThread(2))
        XCTAssertEqual(Command("Hc-1"), .setThread(nil))
        XCTAssertEqual(Command("qRcmd,68656c70"), .query("Rcmd", "68656c70"))
        XCTAssertEqual(Command("vKill;1"), .kill(reply: true))
        XCTAssertEqual(Command("k"), .kill(reply: false))
        XCTAssertEqual(Command("qXfer:features:read:target.xml:0,fff"), .query("Xfer", "features:read:target.xml:0,fff"))
        XCTAssertEqual(Command("mffffffffffffffffff,4"), .unsupported("mffffffffffffffffff,4"), "an address over 64 bits")
    }

    func testRegisterValuesAreLittleEndianHex() {
        XCTAssertEqual(Hex.littleEndian(0x4008_0094, size: 8), "9400084000000000")
        XCTAssertEqual(Hex.littleEndian(0x6000_03C5, size: 4), "c5030060")
        XCTAssertEqual(Hex.fromLittleEndian(Hex.decode("9400084000000000")![...]), 0x4008_0094)
    }
}
