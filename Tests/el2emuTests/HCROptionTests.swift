import XCTest

/// `--hcr` takes +NAME/-NAME items (a leading '-' is a value, not an option)
/// and refuses unknown bit names, listing the known ones.
final class HCROptionTests: XCTestCase {
    func testUnknownBitIsRefusedWithTheKnownNames() throws {
        let r = try EL2EmuCommand.run(["run", "--guest", "traps", "--hcr", "+TWI,+BOGUS"])
        XCTAssertEqual(r.status, 64, r.stderr)   // EX_USAGE, as ArgumentParser reports validation errors
        XCTAssertTrue(r.stderr.contains("bad --hcr entry '+BOGUS': use +NAME or -NAME with NAME one of VM, SWIO"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testLeadingMinusIsAValue() throws {
        let r = try EL2EmuCommand.run(["run", "--guest", "traps", "--hcr", "-TSC"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("SMC UNDEF esr 0x0000000002000000"), r.stdout)
    }
}
