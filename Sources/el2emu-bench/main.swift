import AArch64
import CostModel
import EL2
import Foundation
import GuestBuild
import Hypervisor
import Trace
import Unicorn

// el2emu-bench: host-time figures, each a ratio measured in one run.
// swift run -c release el2emu-bench [--quick]

let quick = CommandLine.arguments.contains("--quick")
let builder = FirmwareBuilder()

func seconds(_ body: () throws -> Void) rethrows -> Double {
    var a = timespec(), b = timespec()
    clock_gettime(CLOCK_MONOTONIC, &a)
    try body()
    clock_gettime(CLOCK_MONOTONIC, &b)
    return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
}

func runGuest(_ name: String, mode: VirtualizationMode, x0: UInt64, x1: UInt64, ledger: Bool = true, trace: TraceFormat? = nil,
              configure: (inout Configuration) -> Void = { _ in }) throws -> Double {
    try runGuestCountingExits(name, mode: mode, x0: x0, x1: x1, ledger: ledger, trace: trace, configure: configure).seconds
}

/// Runs a guest to its exit; the host time and the exits the ledger recorded.
/// With `trace`, the run writes that trace to a file (the time includes finishing it).
func runGuestCountingExits(_ name: String, mode: VirtualizationMode, x0: UInt64, x1: UInt64, ledger: Bool = true,
                           cpus: Int = 1, trace: TraceFormat? = nil,
                           configure: (inout Configuration) -> Void = { _ in },
                           finished: (VirtualMachine) -> Void = { _ in }) throws -> (seconds: Double, exits: Int) {
    var c = Configuration()
    c.mode = mode
    c.ledger = ledger
    c.cpus = cpus
    configure(&c)
    let image = try GuestImage.load(path: builder.build(name).path, ramBase: c.ramBase, ramSize: c.ramSize)
    let vm = try VirtualMachine(c)
    let path = NSTemporaryDirectory() + "el2emu-bench-\(getpid()).trace"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try trace.map { try TraceWriter(path: path, format: $0, profile: c.profile.name, mode: mode.rawValue) }
    if let writer { writer.observe(vm.events); vm.events.copiesCounts = false }
    try vm.load(image)
    var reason: StopReason = .error("not run")
    let t = seconds {
        reason = vm.run(entry: image.entry, x0: x0, x1: x1)
        writer?.finish()
    }
    guard case .guestExit(0, _) = reason else { throw BenchError(description: "\(name): \(reason)") }
    if let e = writer?.writeError { throw BenchError(description: "\(name): writing the trace failed: \(e)") }
    finished(vm)
    return (t, vm.ledger.exits)
}

/// Host time per exit for each micro-benchmark of `el2emu compare`, in one
/// design: the difference of a long and a short run of the microbench guest,
/// divided by the exits between them (Virtual EOI takes none: its time is per operation).
func microbenchLine(_ b: MicroBenchmark, _ mode: VirtualizationMode) throws -> String {
    let n: UInt64 = quick ? 4_000 : 40_000, short = n / 8
    // Runs are deterministic: the exits are the same every time, only the host time varies.
    var longExits = 0, briefExits = 0
    let long = try fastest(2) {
        let r = try runGuestCountingExits("microbench", mode: mode, x0: UInt64(b.rawValue), x1: n, cpus: b.cpus)
        longExits = r.exits
        return r.seconds
    }
    let brief = try fastest(2) {
        let r = try runGuestCountingExits("microbench", mode: mode, x0: UInt64(b.rawValue), x1: short, cpus: b.cpus)
        briefExits = r.exits
        return r.seconds
    }
    let exits = longExits - briefExits
    let dt = (long - brief) * 1e9, ops = Double(n - short)
    let title = b.title.padding(toLength: 12, withPad: " ", startingAt: 0)
    guard exits > 0 else {
        return String(format: "  %@ %@: no exit; %.0f ns per operation", title, mode.rawValue, dt / ops)
    }
    return String(format: "  %@ %@: %.0f ns per exit (%.2f exits per operation, %.0f ns per operation)",
                  title, mode.rawValue, dt / Double(exits), Double(exits) / ops, dt / ops)
}

/// The fastest of `runs` timings: on a noisy machine the minimum is the
/// steadiest estimate of what the code itself costs.
func fastest(_ runs: Int = 3, _ body: () throws -> Double) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<runs { best = min(best, try body()) }
    return best
}

/// The fastest timing of each body over `rounds` rounds that run every body
/// in turn: a ratio of two of them then compares runs made close together,
/// so a slow spell of a noisy machine weighs on both sides. Each round starts
/// one body later, so no body always follows the same other one.
func fastestInterleaved(_ rounds: Int, _ bodies: [() throws -> Double]) throws -> [Double] {
    var best = [Double](repeating: .infinity, count: bodies.count)
    for r in 0..<rounds {
        for k in 0..<bodies.count {
            let i = (r + k) % bodies.count
            best[i] = min(best[i], try bodies[i]())
        }
    }
    return best
}

struct BenchError: Error, CustomStringConvertible { let description: String }

/// `--iterations N` for the `--only-*` runs (nil if absent or not a number).
let iterationsOption: UInt64? = CommandLine.arguments.firstIndex(of: "--iterations").flatMap { i in
    i + 1 < CommandLine.arguments.count ? UInt64(CommandLine.arguments[i + 1]) : nil
}

/// Host nanoseconds per hypercall exit in each design, with the ledger on and
/// off, and per EL2 round trip under QEMU (nil without qemu-system-aarch64):
/// each the difference of a long and a short run. All the runs take turns
/// (`fastestInterleaved`), so the ratios compare runs made close together.
func hypercallFigures() throws -> (ns: [VirtualizationMode: (on: Double, off: Double)], qemu: Double?) {
    let n: UInt64 = quick ? 20_000 : 200_000
    var bodies: [() throws -> Double] = []
    for mode in VirtualizationMode.allCases {
        for ledger in [true, false] {
            bodies.append { try runGuest("hvcloop", mode: mode, x0: 0, x1: n, ledger: ledger) }
            bodies.append { try runGuest("hvcloop", mode: mode, x0: 0, x1: 1, ledger: ledger) }
        }
    }
    let qemuIterations = quick ? 200_000 : 2_000_000
    let qemu = try qemuRun(iterations: qemuIterations).flatMap { long in try qemuRun(iterations: 0).map { (long, $0) } }
    if let (long, short) = qemu { bodies += [long, short] }
    let t = try fastestInterleaved(quick ? 2 : 5, bodies)
    var ns: [VirtualizationMode: (on: Double, off: Double)] = [:]
    for (i, mode) in VirtualizationMode.allCases.enumerated() {
        let k = i * 4
        ns[mode] = ((t[k] - t[k + 1]) * 1e9 / Double(n), (t[k + 2] - t[k + 3]) * 1e9 / Double(n))
    }
    let q = qemu == nil ? nil : (t[t.count - 2] - t[t.count - 1]) * 1e9 / Double(qemuIterations)
    return (ns, q)
}

/// A run of the hypercall loop under `qemu-system-aarch64 -M virt,virtualization=on`
/// with the project's minimal EL2 handler (nil without QEMU): its seconds.
func qemuRun(iterations: Int, peer: String = "qemu_hvc_loop", machine: String = "virt,virtualization=on") throws -> (() throws -> Double)? {
    let qemu = "/usr/bin/qemu-system-aarch64"
    guard FileManager.default.isExecutableFile(atPath: qemu) else { return nil }
    let elf = try builder.buildPeer(peer, defines: ["ITERATIONS": String(iterations)])
    return {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: qemu)
        p.arguments = ["-M", machine, "-cpu", "max", "-semihosting", "-nographic",
                       "-monitor", "none", "-serial", "none", "-kernel", elf.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        return try seconds {
            try p.run()
            p.waitUntilExit()
        }
    }
}

/// What an exit's floor includes (`unicornExceptionFloorNanoseconds`).
enum FloorTraffic {
    /// Bare Unicorn taking the hvcloop guest's HVC to a hook and going on:
    /// the guest's loop and Unicorn's exception delivery, nothing else.
    case none
    /// The register traffic every exit has, whatever the design: x0-x30,
    /// PSTATE and PC read out of the CPU (what the EL2 vector saves) and x0
    /// written back (the hypercall's result).
    case gprs
    /// The same plus what split mode adds in Unicorn: the host kernel's EL1
    /// registers that differ from the guest's written in, then the guest's
    /// written back, one batch call each (`CPUContext.hostKernelRegisters`).
    case splitMode
}

/// Host nanoseconds per HVC on bare Unicorn with `traffic` in the hook: the
/// part of an exit no EL2 model on Unicorn can avoid.
func unicornExceptionFloorNanoseconds(_ traffic: FloorTraffic) throws -> Double {
    let n: UInt64 = quick ? 20_000 : 200_000
    let image = try GuestImage.load(path: builder.build("hvcloop").path, ramBase: 0x4000_0000, ramSize: 128 << 20)
    let gprs = UnsafeMutablePointer<UInt64>.allocate(capacity: 31)
    // The host kernel's EL1 registers and values (`CPUContext.hostKernelRegisters`), and the guest's.
    let hostKernel = CPUContext.hostKernelRegisters
    let el1 = SystemRegisterBatch(hostKernel.map { r, _ in
        SystemRegisterID(op0: UInt32(r.op0), op1: UInt32(r.op1), crn: UInt32(r.crn), crm: UInt32(r.crm), op2: UInt32(r.op2))
    })
    let host = UnsafeMutablePointer<UInt64>.allocate(capacity: hostKernel.count)
    let guest = UnsafeMutablePointer<UInt64>.allocate(capacity: hostKernel.count)
    host.initialize(from: hostKernel.map(\.1), count: hostKernel.count)
    var guestRead = false
    defer { gprs.deallocate(); host.deallocate(); guest.deallocate() }
    let all = UInt32((1 << hostKernel.count) - 1)
    let onHVC: (Engine) -> Void = { engine in
        guard traffic != .none else { return }
        _ = engine.readGeneralPurposeRegistersPSTATEAndPC(into: gprs)
        if traffic == .splitMode {
            if !guestRead { engine.read(el1, selected: all, into: guest); guestRead = true }
            engine.write(el1, selected: all, from: host)
            engine.write(el1, selected: all, from: guest)
        }
        engine.write(.x(0), gprs[0])
    }
    let long = try fastest { try seconds { try BareUnicorn.run(image, x1: n, onHVC: onHVC) } }
    let short = try fastest { try seconds { try BareUnicorn.run(image, x1: 1, onHVC: onHVC) } }
    return (long - short) * 1e9 / Double(n)
}

func peakRSSMiB(mem: String) throws -> Double {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("el2emu")
    let p = Process()
    p.executableURL = me
    p.arguments = ["run", "--guest", "hello", "--mem", mem, "--report-rss"]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    let data = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.contains("peak RSS") }),
          let kb = Double(line.split(separator: " ").first { Double($0) != nil } ?? "") else {
        throw BenchError(description: "no RSS report from el2emu run: \(text)")
    }
    return kb / 1024
}

/// Where the no-exit register loop (`loop` guest) runs: bare Unicorn, bare
/// Unicorn with only a block hook that does nothing or with only an
/// instruction-counting one, or el2emu.
enum LoopHost: String, CaseIterable {
    case bare, empty, counting, el2emu

    /// `loops` iterations of the loop here, once: seconds.
    func seconds(loops: UInt64) throws -> Double {
        let image = try GuestImage.load(path: builder.build("loop").path, ramBase: 0x4000_0000, ramSize: 128 << 20)
        switch self {
        case .bare: return try el2emu_bench.seconds { try BareUnicorn.run(image, x1: loops) }
        case .empty: return try el2emu_bench.seconds { try BareUnicorn.run(image, x1: loops, blockHook: .empty) }
        case .counting: return try el2emu_bench.seconds { try BareUnicorn.run(image, x1: loops, blockHook: .counting) }
        case .el2emu: return try runGuest("loop", mode: .nvhe, x0: 0, x1: loops)
        }
    }
}

/// The no-exit register loop on each `LoopHost` and on QEMU TCG (`qemu_loop`,
/// from EL1; nil without QEMU), taking turns: seconds per `loops` iterations,
/// each the difference of a run of `loops` and a run of one, so start-up
/// (QEMU's ~0.1 s, Unicorn's engine and RAM) counts nowhere.
func noExitLoop(_ loops: UInt64) throws -> (hosts: [LoopHost: Double], qemu: Double?) {
    let hosts = LoopHost.allCases
    var bodies = [loops, 1].flatMap { n in hosts.map { host in { try host.seconds(loops: n) } } }
    // QEMU starts in ~0.1 s: a short loop's difference would be noise.
    if loops >= 50_000_000, let long = try qemuRun(iterations: Int(loops), peer: "qemu_loop", machine: "virt"),
       let short = try qemuRun(iterations: 1, peer: "qemu_loop", machine: "virt") { bodies += [long, short] }
    let t = try fastestInterleaved(5, bodies)
    let n = hosts.count
    return (Dictionary(uniqueKeysWithValues: hosts.enumerated().map { ($1, t[$0] - t[$0 + n]) }),
            t.count > 2 * n ? t[2 * n] - t[2 * n + 1] : nil)
}

/// The register loop's lines: el2emu against bare Unicorn, and each against
/// QEMU TCG per iteration (the floor any Unicorn-based model starts from).
/// Per iteration (callgrind): QEMU 7.2 34 host instructions, all generated
/// code; upstream Unicorn 2.1.4 39: the same guest code, but each block
/// starts with a call of helper_check_exit_request (gen_tb_start; QEMU tests
/// the exit request inline); ours, patched to test it inline as QEMU does
/// (scripts/unicorn-patches/0001-inline-exit-check.patch), 34. A block hook adds Unicorn's
/// call of it (6 in the generated code: the PC's store, 4 arguments, the
/// call) and its body (el2emu's gate: 8); with patch 0002 the gate counts in
/// the generated code instead (the block end's store, the budget's load,
/// subtraction and store, an OR into the exit test: 39.6 for el2emu).
func noExitLoopLines(_ loops: UInt64) throws -> String {
    let (t, qemu) = try noExitLoop(loops)
    let bare = t[.bare]!, empty = t[.empty]!, counted = t[.counting]!, el2 = t[.el2emu]!
    var text = String(format: "guest with no exits: el2emu runs at %.0f%% of bare Unicorn's speed (%.3f s vs %.3f s)", bare * 100 / el2, el2, bare)
        + (qemu.map { String(format: "; host time %.2fx QEMU TCG's on the same loop", el2 / $0) } ?? "")
    // The ceiling for any model whose clock counts instructions: Unicorn's
    // block hook call, which every translated block then makes.
    text += String(format: "\n  bare Unicorn with only an instruction-counting block hook: %.0f%% of bare (a block hook that does nothing: %.0f%%); el2emu at %.0f%% of the counting hook",
                   bare * 100 / counted, bare * 100 / empty, counted * 100 / el2)
    if let q = qemu {
        let ns = { (s: Double) in String(format: "%.2f ns (%.2fx)", s * 1e9 / Double(loops), s / q) }
        text += "\n  per iteration (4 instructions, one block), over QEMU TCG's \(String(format: "%.2f ns", q * 1e9 / Double(loops))): "
            + "bare Unicorn \(ns(bare)), with an empty block hook \(ns(empty)), with the counting hook \(ns(counted)), el2emu \(ns(el2))"
    }
    return text
}

/// stage2_bench's compute-and-memory loop (mode 0, x0 = passes << 8) on bare
/// Unicorn and on el2emu: seconds each.
func memoryLoop(passes: UInt64) throws -> (bare: Double, el2: Double) {
    let image = try GuestImage.load(path: builder.build("stage2_bench").path, ramBase: 0x4000_0000, ramSize: 128 << 20)
    let t = try fastestInterleaved(5, [
        { try seconds { try BareUnicorn.run(image, x0: passes << 8, x1: 0) } },
        { try runGuest("stage2_bench", mode: .nvhe, x0: passes << 8, x1: 0) },
    ])
    return (t[0], t[1])
}

/// The hypercall loop (`exits` HVCs) with no trace and with each trace format,
/// taking turns: seconds each, no trace first, then `TraceFormat.allCases`.
func tracingFigures(exits: UInt64, rounds: Int) throws -> [Double] {
    let formats: [TraceFormat?] = [nil] + TraceFormat.allCases
    return try fastestInterleaved(rounds, formats.map { f in { try runGuest("hvcloop", mode: .nvhe, x0: 0, x1: exits, trace: f) } })
}

/// stage2_bench mode 3: the guest touches `pages` pages of RAM from 0x42000000
/// (`demandPaging`: each first touch of a page, or with `hugepage` of a 2 MiB
/// block, is a stage-2 fault): seconds, and the part of them Unicorn spent
/// changing its memory map.
func touchRun(pages: UInt64, demandPaging: Bool, hugepage: Bool = false) throws -> (seconds: Double, mapping: Double) {
    var mapping: Duration = .zero
    let t = try runGuestCountingExits("stage2_bench", mode: .nvhe, x0: 3 | pages << 8, x1: 0, configure: {
        $0.demandPaging = demandPaging
        $0.transparentHugepage = hugepage
        $0.ramSize = 0x200_0000 + pages * 4096 + (8 << 20)
    }, finished: { vm in mapping = vm.vcpus.reduce(.zero) { $0 + $1.cpu.memoryMapTime } }).seconds
    return (t, Double(mapping.components.seconds) + Double(mapping.components.attoseconds) * 1e-18)
}

/// Demand paging against eager mapping on the guest touching `pages` pages
/// (one load each), taking turns: with transparent huge pages (the bench's
/// row), then with 4 KiB pages, and that run's floor: its time less the time
/// Unicorn spent changing its memory map (the stage-2 exits themselves).
func demandPagingLines(pages: UInt64) throws -> String {
    var floor = Double.infinity
    let t = try fastestInterleaved(3, [(false, false), (true, true), (true, false)].map { demand, hugepage in {
        let r = try touchRun(pages: pages, demandPaging: demand, hugepage: hugepage)
        if demand && !hugepage { floor = min(floor, r.seconds - r.mapping) }
        return r.seconds
    } })
    return String(format: "--demand-paging --transparent-hugepage, guest touching %d MiB: %.2fx eager mapping (%.3f s vs %.3f s)\n",
                  pages >> 8, t[1] / t[0], t[1], t[0])
        + String(format: "--demand-paging, 4 KiB pages: %.2fx (%.3f s; %.0f us per first-touched page); without Unicorn's map changes %.2fx (%.3f s, the stage-2 exits alone)",
                 t[2] / t[0], t[2], (t[2] - t[0]) * 1e6 / Double(pages), floor / t[0], floor)
}

/// The hypercall exit rows (`hypercallFigures`); QEMU's round trip, if measured.
func printHypercallLines() throws -> Double? {
    let (hypercall, qemu) = try hypercallFigures()
    for mode in VirtualizationMode.allCases {
        let (on, off) = hypercall[mode]!
        var line = "hypercall exit, \(mode.title): \(Int(on)) ns with the ledger, \(Int(off)) ns with its pricing off (pricing \(Int((on - off) * 100 / max(on, 1)))% of an exit)"
        if let qemu { line += String(format: "; %.2fx QEMU's EL2 round trip (%d ns)", on / qemu, Int(qemu)) }
        print(line)
    }
    if qemu == nil { print("QEMU: qemu-system-aarch64 not installed, no comparison") }
    return qemu
}

/// The `--only-*` runs (one figure each, for a profiler or a quick look):
/// true when one ran. Inside the main `do`, so bad input is reported, not a crash.
func runOnlyOption() throws -> Bool {
    // `--only-loop`: the no-exit register loop against bare Unicorn, with and without the counting hook, and QEMU TCG.
    if CommandLine.arguments.contains("--only-loop") {
        print(try noExitLoopLines(iterationsOption ?? 100_000_000))
        return true
    }
    // `--only-loop-on bare|empty|counting|el2emu [--iterations N]`: the register loop on one of
    // the four, once, for a profiler (callgrind's instruction counts do not drift with the machine).
    if let i = CommandLine.arguments.firstIndex(of: "--only-loop-on"), i + 1 < CommandLine.arguments.count {
        guard let host = LoopHost(rawValue: CommandLine.arguments[i + 1]) else {
            throw BenchError(description: "--only-loop-on takes bare, empty, counting or el2emu")
        }
        print(String(format: "%.3f s", try host.seconds(loops: iterationsOption ?? 10_000_000)))
        return true
    }
    // `--only-memory`: the loads-and-stores loop (stage2_bench mode 0) against bare Unicorn.
    if CommandLine.arguments.contains("--only-memory") {
        let (bare, el2) = try memoryLoop(passes: 8)
        print(String(format: "memory loop: el2emu %.3f s, bare Unicorn %.3f s (%.0f%%)", el2, bare, bare * 100 / el2))
        return true
    }
    // `--only-microbench K vhe|nvhe`: one row of the by-kind table (K as in MicroBenchmark).
    if let i = CommandLine.arguments.firstIndex(of: "--only-microbench"), i + 2 < CommandLine.arguments.count,
       let b = Int(CommandLine.arguments[i + 1]).flatMap(MicroBenchmark.init(rawValue:)),
       let mode = VirtualizationMode(rawValue: CommandLine.arguments[i + 2]) {
        print(try microbenchLine(b, mode))
        return true
    }
    // `--only-hypercall vhe|nvhe [--iterations N] [--no-ledger]`: just that loop, long, for a profiler.
    if let i = CommandLine.arguments.firstIndex(of: "--only-hypercall"), i + 1 < CommandLine.arguments.count,
       let mode = VirtualizationMode(rawValue: CommandLine.arguments[i + 1]) {
        let n = iterationsOption ?? 500_000
        let t = try runGuest("hvcloop", mode: mode, x0: 0, x1: n, ledger: !CommandLine.arguments.contains("--no-ledger"))
        print(String(format: "%.0f ns per hypercall exit (including the loop)", t * 1e9 / Double(n)))
        return true
    }

    // `--only-trace none|text|jsonl|perfetto [--iterations N]`: the hypercall loop writing that trace, once, for a profiler.
    if let i = CommandLine.arguments.firstIndex(of: "--only-trace"), i + 1 < CommandLine.arguments.count {
        let name = CommandLine.arguments[i + 1]
        guard name == "none" || TraceFormat(rawValue: name) != nil else {
            throw BenchError(description: "--only-trace takes none, \(TraceFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let n = iterationsOption ?? 20_000
        let t = try runGuest("hvcloop", mode: .nvhe, x0: 0, x1: n, trace: TraceFormat(rawValue: name))
        print(String(format: "%.0f ns per hypercall exit with trace %@", t * 1e9 / Double(n), name))
        return true
    }
    // `--only-tracing`: the tracing row alone.
    if CommandLine.arguments.contains("--only-tracing") {
        let n = iterationsOption ?? 50_000
        let t = try tracingFigures(exits: n, rounds: 5)
        print(String(format: "no trace %.0f ns per exit; ", t[0] * 1e9 / Double(n))
              + TraceFormat.allCases.enumerated().map { String(format: "%@ %.2fx", $1.rawValue, t[$0 + 1] / t[0]) }.joined(separator: ", "))
        return true
    }
    // `--only-paging [--iterations PAGES]`: the demand-paging row alone.
    if CommandLine.arguments.contains("--only-paging") {
        print(try demandPagingLines(pages: iterationsOption ?? 25_600))
        return true
    }
    // `--only-touch eager|demand|thp [--iterations PAGES]`: the guest touching PAGES pages (default 25600: 100 MiB), once.
    if let i = CommandLine.arguments.firstIndex(of: "--only-touch"), i + 1 < CommandLine.arguments.count {
        let how = CommandLine.arguments[i + 1]
        guard ["eager", "demand", "thp"].contains(how) else { throw BenchError(description: "--only-touch takes eager, demand or thp") }
        let pages = iterationsOption ?? 25_600
        let t = try touchRun(pages: pages, demandPaging: how != "eager", hugepage: how == "thp")
        print(String(format: "%.3f s touching %d pages, %@ mapping (%.3f s of it changing Unicorn's memory map)", t.seconds, pages, how, t.mapping))
        return true
    }

    // `--only-floor`: Unicorn's exception path, bare and with the register traffic of an exit.
    // `--only-linux KERNEL INITRD`: a Linux boot to /init, el2emu in each design and QEMU TCG.
    if let i = CommandLine.arguments.firstIndex(of: "--only-linux") {
        guard i + 2 < CommandLine.arguments.count else { throw BenchError(description: "--only-linux takes KERNEL INITRD (scripts/linux.sh fetches them)") }
        try LinuxBoot.run(kernel: CommandLine.arguments[i + 1], initrd: CommandLine.arguments[i + 2])
        return true
    }
    // `--only-spinlock [FLAT]`: kvm-unit-tests' spinlock-test, 4 vCPUs, el2emu in each design and QEMU TCG.
    if let i = CommandLine.arguments.firstIndex(of: "--only-spinlock") {
        let flat = i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : SpinlockTest.defaultPath
        guard let line = try SpinlockTest.lines(flat: flat, rounds: 3) else { throw BenchError(description: "--only-spinlock needs \(flat) and qemu-system-aarch64") }
        print(line)
        return true
    }
    // `--only-exits`: the hypercall exit rows alone (with `--quick`, shorter).
    if CommandLine.arguments.contains("--only-exits") {
        _ = try printHypercallLines()
        return true
    }
    if CommandLine.arguments.contains("--only-floor") {
        print(String(format: "floor: %.0f ns; with the GPRs %.0f ns; with split mode's EL1 registers too %.0f ns",
                     try unicornExceptionFloorNanoseconds(.none), try unicornExceptionFloorNanoseconds(.gprs),
                     try unicornExceptionFloorNanoseconds(.splitMode)))
        return true
    }
    return false
}

do {
    if try runOnlyOption() { exit(0) }
    print("el2emu-bench (Unicorn \(Unicorn_version()))\n")
    let qemu = try printHypercallLines()
    print("host time per exit, by exit kind (the microbench guest of el2emu compare):")
    for b in MicroBenchmark.allCases {
        for mode in VirtualizationMode.allCases { print(try microbenchLine(b, mode)) }
    }
    let floors: [(String, FloorTraffic)] = [
        ("Unicorn's own exception path (HVC to an empty hook and on, no EL2 model)", .none),
        ("  with the register traffic of any exit (x0-x30, PSTATE, PC read; x0 written)", .gprs),
        ("  and split mode's EL1 registers taking turns (9 written in, 9 written back)", .splitMode),
    ]
    for (title, traffic) in floors {
        let ns = try unicornExceptionFloorNanoseconds(traffic)
        var line = "\(title): \(Int(ns)) ns"
        if let qemu { line += String(format: ", %.2fx QEMU's EL2 round trip", ns / qemu) }
        print(line)
    }

    print(try noExitLoopLines(quick ? 10_000_000 : 100_000_000))

    // The same with loads and stores: stage2_bench's compute-and-memory loop (mode 0), x0 = passes << 8.
    let (bareMem, el2Mem) = try memoryLoop(passes: quick ? 2 : 8)
    print(String(format: "guest with no exits, loads and stores: el2emu runs at %.0f%% of bare Unicorn's speed (%.3f s vs %.3f s)", bareMem * 100 / el2Mem, el2Mem, bareMem))

    // Tracing on the exit-heavy hypercall loop: each format against no trace, taking turns.
    let traced = try tracingFigures(exits: quick ? 5_000 : 50_000, rounds: quick ? 2 : 5)
    print("tracing, hypercall loop (split mode), slowdown over no trace (\(String(format: "%.0f", traced[0] * 1e9 / Double(quick ? 5_000 : 50_000))) ns per exit): "
          + TraceFormat.allCases.enumerated().map { String(format: "%@ %.2fx", $1.rawValue, traced[$0 + 1] / traced[0]) }.joined(separator: ", "))

    print(try demandPagingLines(pages: quick ? 2_560 : 25_600))

    // The rows whose inputs are fetched or built apart: when they are here.
    if !quick, let line = try SpinlockTest.lines(rounds: 2) { print(line) }
    if !quick, let (kernel, initrd) = LinuxBoot.fetched() { try LinuxBoot.run(kernel: kernel, initrd: initrd, rounds: 2) }

    for mem in ["128M", "2G"] {
        print(String(format: "peak resident memory, %@ guest booting 'hello': %.1f MiB", mem, try peakRSSMiB(mem: mem)))
    }
} catch {
    FileHandle.standardError.write(Data("el2emu-bench: \(error)\n".utf8))
    exit(1)
}
