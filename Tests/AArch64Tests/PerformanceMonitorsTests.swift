import AArch64
import XCTest

/// PMUv3 register semantics (PerformanceMonitors.swift), as KVM's pmu-emul.c
/// gives them and kvm-unit-tests' pmu checks them.
final class PerformanceMonitorsTests: XCTestCase {
    let pmcr = PerformanceMonitors.PMCR_EL0
    let cntenset = SystemRegister(3, 3, 9, 12, 1), ovsclr = SystemRegister(3, 3, 9, 12, 3)
    let selr = SystemRegister(3, 3, 9, 12, 5), xevtyper = SystemRegister(3, 3, 9, 13, 1)
    let xevcntr = SystemRegister(3, 3, 9, 13, 2), ccntr = SystemRegister(3, 3, 9, 13, 0)
    let evtyper0 = SystemRegister(3, 3, 14, 12, 0), evcntr0 = SystemRegister(3, 3, 14, 8, 0)
    let evcntr5 = SystemRegister(3, 3, 14, 8, 5), intenset = SystemRegister(3, 0, 9, 14, 1)

    func testPMCRReadsNAndNeverCOrPAndResetsTheCounters() {
        var p = PerformanceMonitors()
        _ = p.write(evcntr0, 7)
        _ = p.write(ccntr, 9)
        XCTAssertTrue(p.write(pmcr, 0x47))   // LC C P E
        XCTAssertEqual(p.read(pmcr), 0x4100_0000 | 4 << 11 | 0x41)
        XCTAssertEqual(p.read(evcntr0), 0)
        XCTAssertEqual(p.read(ccntr), 0)
    }

    func testSelectedCounterAndUnimplementedOnes() {
        var p = PerformanceMonitors()
        _ = p.write(selr, 0)
        _ = p.write(xevtyper, 0xEA)
        _ = p.write(xevcntr, 0xdead_beef)
        XCTAssertEqual(p.read(evtyper0), 0xEA)
        XCTAssertEqual(p.read(evcntr0), 0xdead_beef)
        XCTAssertNil(p.read(evcntr5), "PMEVCNTR5: N = 4, UNDEFINED")
        _ = p.write(cntenset, 0xFFFF_FFFF)
        XCTAssertEqual(p.read(cntenset), 0x8000_000F, "only the implemented counters enable")
    }

    func testCountingFiltersAndOverflow() {
        var p = PerformanceMonitors()
        _ = p.write(evtyper0, PerformanceMonitors.instRetired | 1 << 30)   // U: not at EL0
        _ = p.write(evcntr0, 0xFFFF_FFF0)
        _ = p.write(cntenset, 1 | 1 << 31)
        _ = p.write(intenset, 1)
        p.count(untilCycles: 100, instructions: 100, memoryAccesses: 0, el: 1)
        XCTAssertEqual(p.read(evcntr0), 0xFFFF_FFF0, "nothing counts while PMCR_EL0.E is clear")
        _ = p.write(pmcr, PerformanceMonitors.pmcrE)
        p.count(untilCycles: 110, instructions: 108, memoryAccesses: 0, el: 0)
        XCTAssertEqual(p.read(evcntr0), 0xFFFF_FFF0, "excluded at EL0")
        XCTAssertEqual(p.read(ccntr), 10)
        p.count(untilCycles: 140, instructions: 128, memoryAccesses: 0, el: 1)
        XCTAssertEqual(p.read(evcntr0), 4, "32-bit counter wrapped")
        XCTAssertEqual(p.read(ovsclr), 1)
        XCTAssertTrue(p.interruptAsserted)
        _ = p.write(ovsclr, 1)
        XCTAssertFalse(p.interruptAsserted)
        XCTAssertEqual(p.read(ccntr), 40, "the cycle counter has no filter set")
    }

    func testAnEvenCounterOverflowCountsOnTheOddCHAINCounter() {
        var p = PerformanceMonitors()
        let evtyper1 = SystemRegister(3, 3, 14, 12, 1), evcntr1 = SystemRegister(3, 3, 14, 8, 1)
        let swinc = SystemRegister(3, 3, 9, 12, 4)
        _ = p.write(evtyper0, PerformanceMonitors.swIncr)
        _ = p.write(evtyper1, PerformanceMonitors.chain)
        _ = p.write(evcntr0, 0xFFFF_FFFF)
        _ = p.write(evcntr1, 0xFFFF_FFFF)
        _ = p.write(cntenset, 1)
        _ = p.write(pmcr, PerformanceMonitors.pmcrE)
        _ = p.write(swinc, 1)
        XCTAssertEqual(p.read(evcntr1), 0xFFFF_FFFF, "the odd counter is disabled: no chain")
        _ = p.write(cntenset, 2)
        _ = p.write(evcntr0, 0xFFFF_FFFF)
        _ = p.write(swinc, 1)
        XCTAssertEqual(p.read(evcntr0), 0)
        XCTAssertEqual(p.read(evcntr1), 0, "the odd counter wrapped too")
        XCTAssertEqual(p.read(ovsclr), 3)
    }
}
