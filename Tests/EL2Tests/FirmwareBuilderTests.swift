import Foundation
import GuestBuild
import XCTest

/// The firmware builder rebuilds a guest when anything it is built from changes.
final class FirmwareBuilderTests: XCTestCase {
    /// A copy of Firmware/ to touch files in; `FirmwareBuilder(root:)` builds into its .build.
    private func scratchRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fwb-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: FirmwareBuilder().firmwareDirectory, to: root.appendingPathComponent("Firmware"))
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }

    private func modified(_ u: URL) throws -> Date {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: u.path)[.modificationDate] as? Date)
    }

    private func setModified(_ u: URL, _ d: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: d], ofItemAtPath: u.path)
    }

    func testRebuildsWhenAnIncludedGuestSourceOrCommonHeaderChanges() throws {
        let builder = FirmwareBuilder(root: try scratchRoot())
        let fw = builder.firmwareDirectory
        // Every source as of one old date, so only the file "edited" below is newer than the ELF.
        let old = Date(timeIntervalSince1970: 1_600_000_000)
        for dir in ["guests", "common"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: fw.appendingPathComponent(dir).path) {
                try setModified(fw.appendingPathComponent("\(dir)/\(f)"), old)
            }
        }
        let elf = try builder.build("el2vhe")
        let built = try modified(elf)
        XCTAssertEqual(try modified(builder.build("el2vhe")), built, "nothing changed: the ELF is reused")
        // el2vhe.c includes el2monitor.c, which includes common/el2vectors.h.
        for changed in ["guests/el2vhe.c", "guests/el2monitor.c", "common/el2vectors.h", "common/start.S"] {
            try setModified(elf, old.addingTimeInterval(10))
            try setModified(fw.appendingPathComponent(changed), old.addingTimeInterval(20))
            XCTAssertGreaterThan(try modified(builder.build("el2vhe")), old.addingTimeInterval(10), "\(changed) changed: el2vhe must be rebuilt")
            try setModified(fw.appendingPathComponent(changed), old)
        }
        // A guest that does not include el2monitor.c is not rebuilt for it.
        let hello = try builder.build("hello")
        try setModified(hello, old.addingTimeInterval(10))
        try setModified(fw.appendingPathComponent("guests/el2monitor.c"), old.addingTimeInterval(20))
        XCTAssertEqual(try modified(builder.build("hello")), old.addingTimeInterval(10))
    }
}
