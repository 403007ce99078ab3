@testable import Unicorn
import XCTest

/// The invalid-memory hooks' ranges: everything outside the longest fully
/// mapped runs is covered by exactly one hook.
final class FaultHookRangesTests: XCTestCase {
    /// How many hooks cover `address`.
    func covering(_ ranges: [(begin: UInt64, end: UInt64)], _ address: UInt64) -> Int {
        ranges.filter { address >= $0.begin && address <= $0.end }.count
    }

    func testMapsJoinAndUnmapsSplitRuns() {
        var f = FaultHookRanges()
        f.add(0x4000_0000, 0x4020_0000)
        f.add(0x4040_0000, 0x4060_0000)
        f.add(0x4020_0000, 0x4040_0000)   // fills the hole: one run
        XCTAssertEqual(f.runs.list.map { [$0.begin, $0.end] }, [[0x4000_0000, 0x4060_0000]])
        f.remove(0x4010_0000, 0x4011_0000)
        XCTAssertEqual(f.runs.list.map { [$0.begin, $0.end] }, [[0x4000_0000, 0x4010_0000], [0x4011_0000, 0x4060_0000]])
        f.remove(0, 0x4010_0000)
        XCTAssertEqual(f.runs.list.map { [$0.begin, $0.end] }, [[0x4011_0000, 0x4060_0000]])
    }

    func testEveryAddressOutsideTheFastRunsHasOneHook() {
        var f = FaultHookRanges()
        // More runs than hooks: the shortest stay covered.
        for i in 0..<UInt64(12) { f.add(0x4000_0000 + i * 0x40_0000, 0x4000_0000 + i * 0x40_0000 + (i + 1) * 0x1000) }
        let ranges = f.hookRanges()
        XCTAssertEqual(ranges.count, FaultHookRanges.count)
        var fast = 0
        for r in f.runs.list {
            let n = covering(ranges, r.begin)
            XCTAssertEqual(covering(ranges, r.end - 1), n)
            XCTAssertLessThanOrEqual(n, 1)
            if n == 0 { fast += 1 }
            XCTAssertEqual(covering(ranges, r.end), 1)   // the unmapped page after it
        }
        XCTAssertEqual(fast, FaultHookRanges.count - 1)
        XCTAssertEqual(covering(ranges, 0), 1)
        XCTAssertEqual(covering(ranges, 0xFFFF_FFFF_FFFF), 1)
        // The five shortest runs (the first five) are the ones still covered.
        XCTAssertEqual(covering(ranges, f.runs.list[4].begin), 1)
        XCTAssertEqual(covering(ranges, f.runs.list[5].begin), 0)
    }

    func testMemoryHoldingTranslatedCodeStaysCovered() {
        var f = FaultHookRanges()
        f.add(0x4000_0000, 0x6000_0000)
        XCTAssertEqual(covering(f.hookRanges(), 0x4123_4567), 0)
        f.addCode(at: 0x4123_4567)
        let ranges = f.hookRanges()
        let g = FaultHookRanges.codeGranule
        XCTAssertEqual(covering(ranges, 0x4123_4567 & ~(g - 1)), 1)
        XCTAssertEqual(covering(ranges, (0x4123_4567 | (g - 1)) + 1), 0)
        XCTAssertEqual(covering(ranges, (0x4123_4567 & ~(g - 1)) - 1), 0)
    }

    func testNothingMappedIsAllCovered() {
        let ranges = FaultHookRanges().hookRanges()
        XCTAssertEqual(covering(ranges, 0), 1)
        XCTAssertEqual(covering(ranges, 0x4000_0000), 1)
        XCTAssertEqual(covering(ranges, UInt64.max - 1), 1)
    }
}
