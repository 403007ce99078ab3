import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// A stage-2 abort right after a hook moved the PC is taken at the faulting
/// store, once (on Unicorn 2.1.4 a PC write could leave it a stale PC:
/// `Engine.blockEndsAfterHook`).
final class PCAfterHookTests: XCTestCase {
    func testAStoreAbortRightAfterAServedMSRIsTakenOnceAtTheStore() throws {
        for (mode, run) in try GuestRun.passingInBothDesigns("pcsync", ["the instructions before the faulting store ran once"]) {
            // The word store of 'A' (the library prints bytes) exits once.
            let stores = run.exits.filter { $0.detail.contains("MMIO write pl011+0x0 size=4") }
            XCTAssertEqual(stores.count, 1, "\(mode): \(stores.map(\.detail))")
        }
    }
}
