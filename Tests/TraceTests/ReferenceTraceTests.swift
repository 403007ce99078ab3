import Foundation
import Hypervisor
import Trace
import XCTest

/// Traces/GUEST-MODE[-demand].EXT: the checked-in trace of each guest, in
/// the format its extension names (.txt text, .jsonl, .perfetto.json), with
/// `-demand` run under demand paging for 3M instructions; a run must reproduce it exactly.
final class ReferenceTraceTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Traces")
    static let formats: [(String, TraceFormat)] = [(".perfetto.json", .perfetto), (".jsonl", .jsonl), (".txt", .text)]

    func testEveryReferenceTraceIsReproducedByteForByte() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0 != "README.md" }.sorted()
        XCTAssertTrue(files.contains("hello-nvhe.txt") && files.contains("hello-vhe.txt"), "\(files)")
        XCTAssertTrue(files.contains { $0.hasSuffix(".jsonl") } && files.contains { $0.hasSuffix(".perfetto.json") } && files.contains { $0.contains("-demand.") },
                      "every format and demand paging have a reference: \(files)")
        let update = ProcessInfo.processInfo.environment["EL2EMU_UPDATE_TRACES"] != nil
        for file in files {
            guard let (ext, format) = Self.formats.first(where: { file.hasSuffix($0.0) }) else {
                XCTFail("\(file): name it GUEST-MODE.txt, .jsonl or .perfetto.json"); continue
            }
            var stem = file.dropLast(ext.count)
            let demandPaging = stem.hasSuffix("-demand")
            if demandPaging { stem = stem.dropLast("-demand".count) }
            guard let dash = stem.lastIndex(of: "-"), let mode = VirtualizationMode(rawValue: String(stem[stem.index(after: dash)...])) else {
                XCTFail("\(file): name it GUEST-nvhe.EXT or GUEST-vhe.EXT"); continue
            }
            let guest = String(stem[..<dash])
            let url = Self.directory.appendingPathComponent(file)
            let actual = try trace(guest, format: format, mode: mode) { c in
                guard demandPaging else { return }
                c.demandPaging = true
                c.maxInstructions = 3_000_000
            }
            if update { try actual.write(to: url, atomically: true, encoding: .utf8); continue }
            let expected = try String(contentsOf: url, encoding: .utf8)
            if actual != expected {
                let a = actual.split(separator: "\n", omittingEmptySubsequences: false), e = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let i = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
                XCTFail("""
                    \(file) differs at line \(i + 1) (EL2EMU_UPDATE_TRACES=1 to accept):
                    expected: \(i < e.count ? String(e[i]) : "<end>")
                    actual:   \(i < a.count ? String(a[i]) : "<end>")
                    """)
            }
        }
    }
}
