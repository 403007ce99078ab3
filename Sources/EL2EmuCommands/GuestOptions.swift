import AArch64
import ArgumentParser
import CostModel
import Foundation
import GuestBuild
import Hypervisor

/// The options that say which guest to run and how: shared by `run`, `stats` and `compare`.
struct GuestOptions: ParsableArguments {
    @Argument(help: "The guest image (ELF64 AArch64 or Linux arm64 Image). Default: the built-in 'hello' firmware guest (for compare: the micro-benchmark guest).")
    var image: String?

    @Option(help: "Run a guest from Firmware/guests by name (built from source first).")
    var guest: String?

    @Option(help: "Guest RAM size, e.g. 128M, 2G.")
    var mem: String = "128M"

    @Option(help: "Image format: elf, image or binary (default: detected).")
    var format: GuestImage.Format?

    // Unconditional: the value may start with '-' ("-TVM").
    @Option(parsing: .unconditional, help: "HCR_EL2 trap bits to force on/off for the guest, e.g. +TWI,-TVM.")
    var hcr: String?

    @Option(help: "Cost profile: a57, xgene, or a JSON file.")
    var profile: String = "a57"

    @Option(name: .customLong("max-insns"), help: "Stop after this many guest instructions.")
    var maxInstructions: UInt64?

    @Option(name: .customLong("max-cycles"), help: "Stop after this much virtual time (cycles).")
    var maxCycles: UInt64?

    /// A week: longer is no limit in practice, and must not overflow the host clock.
    static let maxTimeout: Double = 604_800

    @Option(help: "Stop after this many seconds of host time (above 0, at most a week: 604800).")
    var timeout: Double?

    @Option(help: "Pass this device tree blob in x0 instead of the generated one.")
    var dtb: String?

    @Option(help: "Kernel command line for the generated device tree's /chosen/bootargs.")
    var append: String = ""

    @Option(help: "Initial ramdisk for a Linux guest: placed in RAM after the kernel as QEMU does, named in /chosen.")
    var initrd: String?

    @Option(help: "Number of vCPUs (1 to 8).")
    var cpus: Int = 1

    @Option(help: "The scheduler's slice in cycles: how far one vCPU may run ahead of the next runnable one (100 to 100000000).")
    var quantum: UInt64 = 5_000

    @Flag(name: .customLong("demand-paging"), help: "Map guest RAM at stage 2 only on first touch (the trace shows the stage-2 faults).")
    var demandPaging = false

    @Flag(name: .customLong("transparent-hugepage"), help: "With --demand-paging: RAM backed by transparent huge pages, so a stage-2 fault maps the whole 2 MiB block (as KVM does).")
    var transparentHugepage = false

    @Option(name: .customLong("ipa-bits"), help: "Stage-2 input size: 40 (KVM's, start level 1) or 32 (start level 2).")
    var ipaBits: IPASize = .bits40

    @Option(name: .customLong("host-tick"), help: "The host's timer tick in Hz (IRQ exits while a guest runs); 0: none.")
    var hostTick: UInt64 = 0

    @Option(name: .customLong("entry-el"), help: "Start the guest at EL1 (under el2emu's hypervisor) or EL2 (it owns EL2; el2emu plays the hardware and the EL3 firmware, PSCI over SMC; --mode vhe offers VHE, nvhe does not).")
    var entryEL: EntryLevel = .el1

    @Option(name: .customLong("load-address"), help: "With --format binary: load and enter the binary at this guest-physical address (default: RAM + 0x80000), as QEMU's -device loader,addr=.")
    var loadAddress: String?

    @Option(help: "Registers at entry: x0-x3, e.g. x0=3,x1=1024 (x0 defaults to the device tree's address, the others to 0).")
    var regs: String?

    // QEMU's -machine gic-version=N and mte=on: honoured or refused, never swapped.
    @Option(name: .customLong("gic-version"), help: "The interrupt controller: 3 (GICv3), or 2 (GICv2, for a guest at EL1: its GICC backed by the GICV frame).")
    var gicVersion: GICVersion = .v3

    @Flag(help: "Memory tagging, FEAT_MTE3 (QEMU's mte=on): allocation tags, tag checks (SCTLR_ELx.TCF sync/async/asymm), the MTE instructions and registers.")
    var mte = false

    /// The configuration these options describe, for `mode`; every option is checked here, before anything runs.
    func configuration(mode: VirtualizationMode) throws -> Configuration {
        var config = Configuration()
        config.mode = mode
        config.ramSize = try parseSize(mem)
        if let hcr { (config.hcrSet, config.hcrClear) = try parseHCR(hcr) }
        do {
            let (p, inherited) = try CostProfile.load(profile)
            if !inherited.isEmpty {
                FileHandle.standardError.write(Data("el2emu: warning: --profile \(profile) leaves \(inherited.count) operations unpriced; they take its base profile's prices: \(inherited.joined(separator: ", "))\n".utf8))
            }
            config.profile = p
        } catch let e as CostProfile.LoadError {
            throw ValidationError("--profile: \(e.description)")
        }
        if let maxInstructions { config.maxInstructions = maxInstructions }
        if let maxCycles { config.maxCycles = maxCycles }
        if let timeout {
            // inf, nan, 1e308 parse as Doubles: none is a time limit.
            guard timeout.isFinite, timeout > 0, timeout <= GuestOptions.maxTimeout else {
                throw ValidationError("--timeout must be a number of seconds above 0 and at most \(Int(GuestOptions.maxTimeout)), not \(timeout)")
            }
            config.timeoutSeconds = timeout
        }
        guard (1...8).contains(cpus) else { throw ValidationError("--cpus must be 1 to 8, not \(cpus)") }
        config.cpus = cpus
        guard (100...100_000_000).contains(quantum) else { throw ValidationError("--quantum must be 100 to 100000000 cycles, not \(quantum)") }
        config.quantum = quantum
        guard hostTick <= 100_000 else { throw ValidationError("--host-tick must be at most 100000 Hz, not \(hostTick)") }
        config.hostTickHz = hostTick
        config.demandPaging = demandPaging
        guard !transparentHugepage || demandPaging else { throw ValidationError("--transparent-hugepage needs --demand-paging (RAM mapped up front is in 2 MiB blocks already)") }
        config.transparentHugepage = transparentHugepage
        config.entryEL = entryEL.rawValue
        guard gicVersion == .v3 || entryEL == .el2 || config.guestHCR.contains(.VM) else {
            throw ValidationError("--gic-version 2 with --hcr -VM: the guest's GICC is the GICV frame mapped at stage 2, which -VM turns off")
        }
        config.gicVersion = gicVersion.rawValue
        _ = try entryRegisters()
        if mte, let why = Configuration.mteUnavailable { throw ValidationError("--mte: \(why)") }
        config.mte = mte
        config.vtcr = ipaBits.vtcr
        return config
    }

    /// The image's path (building the firmware guest if none is given).
    func imagePath() throws -> String {
        if let image { return image }
        return try FirmwareBuilder().build(guest ?? "hello").path
    }

    /// The device tree for x0: `--dtb FILE`, or the generated virt-board tree.
    func deviceTree(_ config: Configuration) throws -> [UInt8] {
        guard let dtb else { return VirtBoardDeviceTree.make(config, bootargs: append).encode() }
        do {
            return try FlattenedDeviceTree.read(path: dtb)
        } catch let e as FlattenedDeviceTree.BlobError {
            throw ValidationError("--dtb \(dtb): \(e.description)")
        }
    }

    /// The image (placed at `--load-address` if given), with the initrd (if
    /// any) as one more segment, recorded in `config` for /chosen.
    func load(_ path: String, _ config: inout Configuration) throws -> GuestImage {
        var image = try GuestImage.load(path: path, ramBase: config.ramBase, ramSize: config.ramSize,
                                        format: format)
        if let loadAddress {
            guard let address = parseNumber(loadAddress) else { throw ValidationError("--load-address must be a number, e.g. 0x40200000, not '\(loadAddress)'") }
            image = try image.placed(at: address, name: path, ramBase: config.ramBase, ramSize: config.ramSize)
        }
        guard let initrd else { return image }
        let (placed, range) = try InitialRamdisk.load(path: initrd, after: image, ramBase: config.ramBase, ramSize: config.ramSize)
        config.initrd = range
        return placed
    }

    /// `--regs`: x0-x3 at entry, by register number; nil where not given.
    func entryRegisters() throws -> [UInt64?] {
        var values: [UInt64?] = [nil, nil, nil, nil]
        for item in (regs ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let n = ["x0", "x1", "x2", "x3"].firstIndex(of: parts[0].lowercased()),
                  let v = parseNumber(parts[1]) else {
                throw ValidationError("bad --regs entry '\(item)': use x0=VALUE to x3=VALUE, comma-separated (decimal or 0x hex)")
            }
            values[n] = v
        }
        return values
    }
}

func parseSize(_ s: String) throws -> UInt64 {
    let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = s.uppercased()
    var scale: UInt64 = 1
    if let last = digits.last, let u = units[last] { scale = u; digits.removeLast() }
    guard let n = UInt64(digits), n > 0 else { throw ValidationError("bad size '\(s)': use e.g. 128M or 2G") }
    let (v, o) = n.multipliedReportingOverflow(by: scale)
    guard !o, v <= Configuration.maxRAM else { throw ValidationError("--mem \(s) is more than the \(Configuration.maxRAM >> 30) GiB el2emu allows") }
    return v
}

func parseHCR(_ s: String) throws -> (HCR, HCR) {
    var set: HCR = [], clear: HCR = []
    for item in s.split(separator: ",", omittingEmptySubsequences: false) {
        let t = item.trimmingCharacters(in: .whitespaces)
        guard let sign = t.first, sign == "+" || sign == "-", let bit = HCR.named(String(t.dropFirst())) else {
            throw ValidationError("bad --hcr entry '\(t)': use +NAME or -NAME with NAME one of \(HCR.named.map(\.0).joined(separator: ", "))")
        }
        if sign == "+" { set.insert(bit) } else { clear.insert(bit) }
    }
    return (set, clear)
}

/// A decimal or 0x-prefixed hex number that fits 64 bits.
func parseNumber(_ s: String) -> UInt64? {
    let t = s.trimmingCharacters(in: .whitespaces).lowercased()
    return t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
}
