import AArch64
import XCTest

final class VirtualMemoryControlTests: XCTestCase {
    /// The field test the trap path uses names exactly the TVM/TRVM set.
    func testFieldTestMatchesTheSetForEveryEL1Encoding() {
        var found = Set<SystemRegister>()
        for op1 in UInt8(0)...7 {
            for crn in UInt8(0)...15 {
                for crm in UInt8(0)...15 {
                    for op2 in UInt8(0)...7 {
                        let r = SystemRegister(3, op1, crn, crm, op2)
                        XCTAssertEqual(r.isVirtualMemoryControl, SystemRegister.virtualMemoryControls.contains(r), "\(r)")
                        if r.isVirtualMemoryControl { found.insert(r) }
                    }
                }
            }
        }
        XCTAssertEqual(found, SystemRegister.virtualMemoryControls)
    }
}
