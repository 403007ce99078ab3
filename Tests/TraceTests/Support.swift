import EL2
import Foundation
import GuestBuild
import Hypervisor
import Trace
import XCTest

/// A firmware guest run in-process, with everything it reported.
struct GuestRunResult {
    let vm: VirtualMachine
    let reason: StopReason
    let events: [HypervisorEvent]
}

func runGuest(_ name: String, mode: VirtualizationMode = .nvhe, configure: (inout Configuration) -> Void = { _ in },
              observe: ((VirtualMachine) -> Void)? = nil) throws -> GuestRunResult {
    var c = Configuration()
    c.mode = mode
    configure(&c)
    let vm = try VirtualMachine(c)
    let img = try GuestImage.load(path: FirmwareBuilder().build(name).path, ramBase: c.ramBase, ramSize: c.ramSize)
    try vm.load(img)
    var events: [HypervisorEvent] = []
    vm.events.observers.append { events.append($0) }
    observe?(vm)
    let reason = vm.run(entry: img.entry)
    return GuestRunResult(vm: vm, reason: reason, events: events)
}

/// The trace of a run of guest `name` in `format`, as the CLI writes it.
func trace(_ name: String, format: TraceFormat, mode: VirtualizationMode = .nvhe,
           categories: Set<TraceCategory> = Set(TraceCategory.allCases),
           configure: (inout Configuration) -> Void = { _ in }) throws -> String {
    var out = ""
    var writer: TraceWriter?
    _ = try runGuest(name, mode: mode, configure: configure) { vm in
        let w = TraceWriter(format: format, categories: categories, profile: vm.ledger.profile.name, mode: mode.rawValue, sink: { out += $0 })
        writer = w
        vm.events.observers = [w.record]
    }
    writer?.finish()
    return out
}

func parseJSON(_ s: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])
}

/// The built `el2emu` (next to the test bundle in .build/<config>/).
var el2emuBinary: URL {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let u = candidate.appendingPathComponent("el2emu")
        if FileManager.default.isExecutableFile(atPath: u.path) { return u }
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/el2emu")
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs el2emu with `arguments` to the end.
func el2emu(_ arguments: [String]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = el2emuBinary
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func temporaryDirectory(_ name: String) throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("el2emu-trace-tests-\(getpid())-\(name)")
    try? FileManager.default.removeItem(at: u)
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}
