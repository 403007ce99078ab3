import AArch64
import EL2
@testable import Hypervisor
import XCTest

final class HostileGuestTests: XCTestCase {
    func testHostileExplore() throws {
        for v: UInt64 in 0...6 {
            for mode in VirtualizationMode.allCases {
                let r = try GuestRun("hostile", mode: mode, x0: v) { c in c.cpus = v == 1 ? 2 : 1; c.maxInstructions = 20_000_000 }
                print("=== variant \(v) \(mode): \(r.reason)\n\(r.output)")
                print(r.exitsExceptMMIO.suffix(4).map { "\($0.kind) \($0.detail)" }.joined(separator: "\n"))
            }
        }
    }
}
