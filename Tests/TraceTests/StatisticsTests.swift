import Hypervisor
import Trace
import XCTest

final class StatisticsTests: XCTestCase {
    func testEachExitKindIsCountedWithTotalMeanAndShare() throws {
        let run = try runGuest("tracing")
        let s = RunStatistics(ledger: run.vm.ledger, mode: "nvhe")
        let exits = run.events.compactMap { e -> ExitRecord? in if case .exit(let r) = e { return r } else { return nil } }
        XCTAssertEqual(s.exits, exits.count)
        XCTAssertEqual(Set(s.rows.map(\.kind)), Set(exits.map(\.kind)))
        for row in s.rows {
            let mine = exits.filter { $0.kind == row.kind }
            XCTAssertEqual(row.count, mine.count)
            XCTAssertEqual(row.cycles, mine.reduce(0) { $0 + $1.cycles })
            XCTAssertEqual(row.meanCycles, row.cycles / UInt64(row.count))
        }
        XCTAssertEqual(s.totalCycles, exits.reduce(0) { $0 + $1.cycles })
        XCTAssertEqual(s.phaseTotals.reduce(0, +), s.totalCycles, "the phases account for every cycle")
        // Largest first.
        XCTAssertEqual(s.rows.map(\.cycles), s.rows.map(\.cycles).sorted(by: >))
        let shares = s.rows.map { s.shareBasisPoints($0.cycles) }
        XCTAssertEqual(Double(shares.reduce(0, +)), 10_000, accuracy: Double(shares.count))
    }

    func testJSONStatisticsParseWithStableNames() throws {
        let run = try runGuest("hello")
        let s = RunStatistics(ledger: run.vm.ledger, mode: "nvhe")
        let o = try XCTUnwrap(parseJSON(s.json.serialized) as? [String: Any])
        XCTAssertEqual(o["mode"] as? String, "nvhe")
        XCTAssertEqual(o["exits"] as? Int, 1)
        let kinds = try XCTUnwrap(o["by_kind"] as? [[String: Any]])
        XCTAssertEqual(kinds.count, 1)
        XCTAssertEqual(kinds[0]["kind"] as? String, "HVC64")
        XCTAssertEqual(kinds[0]["count"] as? Int, 1)
        XCTAssertEqual(kinds[0]["share_percent"] as? Double, 100.0)
        XCTAssertEqual(kinds[0]["mean_cycles"] as? Int, kinds[0]["total_cycles"] as? Int)
        let phases = try XCTUnwrap(o["phases"] as? [String: Int])
        XCTAssertEqual(phases.values.reduce(0, +), o["total_cycles"] as? Int)
    }

    func testTableListsKindsThenPhases() throws {
        let run = try runGuest("tracing")
        let table = StatisticsTable.render(run.vm.ledger)
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "exit kind        count    total cycles   mean cycles    share")
        XCTAssertTrue(lines.contains { $0.hasPrefix("SYS64 ") && $0.hasSuffix("%") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("total ") && $0.hasSuffix("100.0%") })
        let phaseHeader = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("phase ") })
        XCTAssertEqual(lines[(phaseHeader + 1)...].map { String($0.prefix { $0 != " " }) }, ["entry", "save", "handler", "highvisor", "restore", "eret"])
    }

    func testStatsCommandPrintsJSONAndSendsTheGuestOutputToStderr() throws {
        let r = try el2emu(["stats", "--guest", "tracing", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(parseJSON(r.stdout) as? [String: Any])
        let kinds = (o["by_kind"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
        XCTAssertTrue(kinds.contains("SYS64"))
        XCTAssertTrue(r.stderr.contains("PASS SCTLR_EL1 write kept its value"))
    }

    func testRunStatsPrintsTheTableAfterTheGuestOutput() throws {
        let r = try el2emu(["run", "--stats"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let guest = try XCTUnwrap(r.stdout.range(of: "PASS PSCI 1.0 over HVC"))
        let table = try XCTUnwrap(r.stdout.range(of: "exit kind        count"))
        XCTAssertLessThan(guest.lowerBound, table.lowerBound)
        XCTAssertTrue(r.stdout.contains("\nHVC64 "))
    }
}
