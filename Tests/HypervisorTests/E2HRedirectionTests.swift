import AArch64
@testable import EL2
import XCTest

/// With HCR_EL2.E2H, an EL2 access to an *_EL1 encoding reaches the *_EL2
/// register and *_EL12 reaches the EL1 register (Arm ARM D13.2).
final class E2HRedirectionTests: XCTestCase {
    func testSameEL2AccessReachesADifferentRegisterWithE2HSetAndClear() throws {
        let memory = HostMemory()
        let cpu = try Processor(memory: memory)
        cpu.beginAtEL2(hcr: [.RW])
        cpu.write(.SCTLR_EL2, 0x30C5_0830)
        cpu.write(.SCTLR_EL1, 0x30D0_0801)          // E2H clear: the real EL1 register
        XCTAssertEqual(cpu.read(.SCTLR_EL1), 0x30D0_0801)
        XCTAssertEqual(cpu.read(.SCTLR_EL2), 0x30C5_0830)

        cpu.write(.HCR_EL2, HCR.hostVHE.rawValue)    // E2H set
        XCTAssertEqual(cpu.read(.SCTLR_EL1), 0x30C5_0830, "SCTLR_EL1 encoding reaches SCTLR_EL2")
        XCTAssertEqual(cpu.read(SystemRegister.SCTLR_EL1.el12Alias), 0x30D0_0801, "SCTLR_EL12 reaches SCTLR_EL1")
        cpu.write(.VBAR_EL1, 0x1000)
        XCTAssertEqual(cpu.el2.vbar, 0x1000)
        XCTAssertEqual(cpu.read(.ELR_EL1), cpu.read(.ELR_EL2))
        cpu.write(.CNTKCTL_EL1, 3)
        XCTAssertEqual(cpu.el2.cnthctl, 3, "CNTKCTL_EL1 encoding reaches CNTHCTL_EL2")
    }
}
