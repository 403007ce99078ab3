import CostModel
import XCTest

/// Every operation the hypervisor can count has a cell to be counted in and
/// a price (with its source) in each shipped profile: a new operation with
/// neither fails here, not silently in a run.
final class PriceListTests: XCTestCase {
    func testEveryOperationHasAPriceInEveryShippedProfile() {
        for profile in [CostProfile.cortexA57, .xGene] {
            XCTAssertEqual(profile.unpriced, [], "\(profile.name) prices nothing for these")
            XCTAssertEqual(profile.cyclesPerOperation.count, PricedOperation.allCases.count)
            for op in PricedOperation.allCases {
                XCTAssertGreaterThan(profile[op], 0, "\(profile.name): \(op) is free")
            }
        }
    }

    func testEveryOperationHasItsOwnCountCellInEveryPhase() {
        var seen = Set<Int>()
        for phase in Phase.allCases {
            for op in PricedOperation.allCases {
                let cell = OperationCounts.cell(op, phase)
                XCTAssertTrue((0..<OperationCounts.size).contains(cell), "\(op) in \(phase) has no cell")
                XCTAssertTrue(seen.insert(cell).inserted, "\(op) in \(phase) shares cell \(cell)")
            }
        }
        XCTAssertLessThanOrEqual(OperationCounts.size, OperationCounts.maximumSize, "the meter's masks cannot mark every cell")
    }

    /// What a meter counts comes back from the ledger, priced, in its phase.
    func testMeterCountsReachTheLedgerInTheirPhase() {
        let meter = Meter()
        let ledger = Ledger(profile: .cortexA57, kinds: ["A", "B"])
        for phase in Phase.allCases {
            meter.phase = phase
            for op in PricedOperation.allCases { meter.add(op, phase.rawValue + 1) }
        }
        let cycles = meter.withCounts { ledger.account(kind: 1, counts: $0) }
        let perPhase = PricedOperation.allCases.reduce(0) { $0 + CostProfile.cortexA57[$1] }
        XCTAssertEqual(ledger.lastPhaseCycles, Phase.allCases.map { UInt64(perPhase * ($0.rawValue + 1)) })
        XCTAssertEqual(cycles, ledger.lastPhaseCycles.reduce(0, +))
        let b = ledger.byKind["B"]
        XCTAssertEqual(b?.count, 1)
        for op in PricedOperation.allCases { XCTAssertEqual(b?.counts.total(op), Phase.allCases.reduce(0) { $0 + $1.rawValue + 1 }) }
        XCTAssertNil(ledger.byKind["A"])
        XCTAssertTrue(meter.counts.isEmpty, "the ledger drained the meter")
    }
}
