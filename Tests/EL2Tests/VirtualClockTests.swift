@testable import EL2
import XCTest

final class VirtualClockTests: XCTestCase {
    func testCounterAdvancesWithRetiredInstructionsAndExitCycles() {
        var c = VirtualClock()
        c.retire(instructions: 64)
        c.advance(cycles: 64)
        XCTAssertEqual(c.cycles, 128)
        XCTAssertEqual(c.counter, 128 / 32)   // 2 GHz CPU, 62.5 MHz counter
        XCTAssertEqual(c.ticksToCycles(UInt64.max), UInt64.max, "saturates instead of trapping")
    }
}
