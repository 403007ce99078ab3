import Foundation
import Hypervisor
import Trace
import XCTest

/// Traces/GUEST-MODE.txt: the checked-in text trace of each guest; a run must reproduce it exactly.
final class ReferenceTraceTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Traces")

    func testEveryReferenceTraceIsReproducedByteForByte() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".txt") }.sorted()
        XCTAssertTrue(files.contains("hello-nvhe.txt") && files.contains("hello-vhe.txt"), "\(files)")
        let update = ProcessInfo.processInfo.environment["EL2EMU_UPDATE_TRACES"] != nil
        for file in files {
            let stem = file.dropLast(4)
            guard let dash = stem.lastIndex(of: "-"), let mode = VirtualizationMode(rawValue: String(stem[stem.index(after: dash)...])) else {
                XCTFail("\(file): name it GUEST-nvhe.txt or GUEST-vhe.txt"); continue
            }
            let guest = String(stem[..<dash])
            let url = Self.directory.appendingPathComponent(file)
            let actual = try trace(guest, format: .text, mode: mode)
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
