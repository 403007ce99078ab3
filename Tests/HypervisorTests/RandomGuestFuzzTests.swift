import AArch64
import EL2
@testable import Hypervisor
import XCTest

/// A deterministic random-guest generator run through the whole stack:
/// random instruction streams biased towards what reaches EL2 (system
/// register accesses, HVC/SMC with random PSCI arguments, WFI/WFE, DAIF,
/// ERET, loads and stores to random addresses and devices). Every run must
/// end with a StopReason: a Swift trap or a hang fails the test.
/// `EL2EMU_FUZZ_RUNS` sets the budget (CI uses the default).
final class RandomGuestFuzzTests: XCTestCase {
    /// One random instruction word.
    static func instruction(_ r: inout SplitMix64) -> UInt32 {
        let rt = UInt32(r.below(32))
        switch r.below(16) {
        case 0: return UInt32(truncatingIfNeeded: r.next())                                   // anything
        case 1: return 0xD500_0000 | UInt32(r.below(1 << 20)) << 5 | rt                       // MSR/MRS/SYS space
        case 2: return 0xD518_0000 | UInt32(r.below(1 << 16)) << 5 | rt                       // MSR EL1-ish
        case 3: return 0xD538_0000 | UInt32(r.below(1 << 16)) << 5 | rt                       // MRS EL1-ish
        case 4: return 0xD400_0002 | UInt32(r.below(4)) << 5                                   // HVC
        case 5: return 0xD400_0003                                                             // SMC
        case 6: return [0xD503_207F, 0xD503_205F, 0xD503_209F][Int(r.below(3))]               // WFI, WFE, SEV
        case 7: return 0xD503_40DF | UInt32(r.below(16)) << 8 | UInt32(r.below(2)) << 5        // DAIFSet/Clr
        case 8: return 0xD69F_03E0                                                             // ERET
        case 9: return 0xF940_0000 | UInt32(r.below(1 << 12)) << 10 | UInt32(r.below(31)) << 5 | rt // LDR X
        case 10: return 0xB900_0000 | UInt32(r.below(1 << 12)) << 10 | UInt32(r.below(31)) << 5 | rt // STR W
        case 11: return 0xD280_0000 | UInt32(r.below(4)) << 21 | UInt32(r.below(1 << 16)) << 5 | UInt32(r.below(31)) // MOVZ
        case 12: return 0xF2A0_0000 | UInt32(r.below(1 << 16)) << 5 | UInt32(r.below(31))      // MOVK lsl 16
        case 13: return 0xD440_0000 | 0xF000 << 5                                              // semihosting
        case 14: return 0x1400_0000 | UInt32(r.below(64))                                      // B forward
        default: return 0xD503_201F                                                            // NOP
        }
    }

    static func words(_ w: [UInt32]) -> [UInt8] { w.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }

    /// Why a run ended, coarsely (error messages by their start and end).
    static func key(_ reason: StopReason) -> String {
        switch reason {
        case .guestExit: return "guest exit"
        case .instructionLimit: return "instruction limit"
        case .virtualTimeLimit: return "virtual time limit"
        case .wallClockTimeout: return "timeout"
        case .traceLimit: return "trace limit"
        case .hostSignal: return "signal"
        case .deadlock: return "deadlock"
        case .error(let m): return "error: " + String(m.prefix(12)) + "…" + String(m.suffix(28))
        }
    }

    /// Host seconds a run may take: its --timeout and the issue's one second past it.
    static let timeout: Double = 2, slack: Double = 1

    /// Runs `vm` from `entry`, checking it ended within its host-time limit.
    static func timedRun(_ vm: VirtualMachine, entry: UInt64, _ label: String) -> StopReason {
        let start = Date()
        let reason = vm.run(entry: entry)
        let took = Date().timeIntervalSince(start)
        XCTAssertLessThanOrEqual(took, timeout + slack, "\(label): ran \(took) s (\(reason))")
        return reason
    }

    /// Random guests at EL1 and at EL2, in both designs, on 1 and 4 vCPUs,
    /// some with stage-1 tables of their own (garbage or half valid) turned on.
    func testRandomGuestsAlwaysStopCleanly() throws {
        let runs = Int(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_RUNS"] ?? "") ?? 200
        var rng = SplitMix64(state: UInt64(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_SEED"] ?? "") ?? 0xE12E_0001)
        var reasons: [String: Int] = [:]
        for i in 0..<runs {
            var c = Configuration()
            c.mode = i % 2 == 0 ? .nvhe : .vhe
            c.entryEL = i % 4 < 2 ? 1 : 2
            c.cpus = i % 8 < 4 ? 1 : 4
            c.ramSize = 4 << 20
            c.maxInstructions = 20_000
            c.maxCycles = 50_000_000
            c.timeoutSeconds = Self.timeout
            // Random trap configuration too.
            c.hcrClear = HCR(rawValue: rng.next() & HCR.kvmGuest.rawValue & ~HCR.RW.rawValue)
            let vm = try VirtualMachine(c)
            let atEL2 = c.entryEL == 2
            var words: [UInt8] = []
            if atEL2 && c.mode == .vhe {
                // HCR_EL2 = E2H | TGE (a VHE host at EL2); ISB. Without VHE, non-VHE EL2 code (its own regime).
                words += Self.words([0xD2A1_0000, 0xB25E_0000, 0xD51C_1100, 0xD503_3FDF])
            }
            if c.cpus > 1 {
                // PSCI CPU_ON of vCPUs 1-3 at this same code (HVC at EL1, SMC at EL2): x0 = 0xC4000003, x1 = n, x2 = 0x40080000.
                for n: UInt32 in 1...3 {
                    words += Self.words([0xD280_0060, 0xF2B8_8000, 0xD280_0001 | n << 5, 0xD2A8_0102, atEL2 ? 0xD400_0003 : 0xD400_0002])
                }
            }
            // Registers point into RAM, devices or nowhere; then random code.
            for reg in 0..<8 {
                let targets: [UInt64] = [0x4000_0000, 0x4010_0000, 0x0900_0000, 0x0800_0000, 0xDEAD_0000, 0x8400_0000 + UInt64(reg)]
                let t = targets[Int(rng.below(UInt64(targets.count)))]
                for (k, shift) in [(0, 0), (1, 16), (2, 32)] as [(UInt32, UInt64)] {
                    let insn: UInt32 = (k == 0 ? 0xD280_0000 : 0xF280_0000) | k << 21 | UInt32((t >> shift) & 0xFFFF) << 5 | UInt32(reg)
                    words += withUnsafeBytes(of: insn.littleEndian, Array.init)
                }
            }
            let withVectors = rng.below(4) != 0
            if withVectors {
                // MOVZ X30, #0x4000, LSL #16; MSR VBAR_EL1 (or VBAR_EL2), X30: vectors at the start of RAM.
                words += Self.words([0xD2A8_001E, atEL2 ? 0xD51C_C01E : 0xD518_C01E])
            }
            let withTables = rng.below(3) == 0
            if withTables {
                // TTBR0 = 0x40100000, TCR T0SZ = 25 (4 KiB granule, walks from level 1), SCTLR.M = 1; of EL1 or EL2.
                let op1: UInt32 = atEL2 ? 4 << 16 : 0
                words += Self.words([0xD2A8_0214, 0xD518_2014 | op1, 0xD280_0335, 0xD518_2055 | op1,
                                     0xD538_1016 | op1, 0xB240_02D6, 0xD518_1016 | op1, 0xD503_3FDF])
            }
            for _ in 0..<256 { words += withUnsafeBytes(of: Self.instruction(&rng).littleEndian, Array.init) }
            try vm.load(words, at: 0x4008_0000)
            if withVectors {
                // Each vector either steps over the faulting instruction and returns
                // (MRS X30, ELR; ADD X30, X30, #4; MSR ELR, X30; ERET) or is random code.
                let (mrs, msr): (UInt32, UInt32) = atEL2 ? (0xD53C_403E, 0xD51C_403E) : (0xD538_403E, 0xD518_403E)
                var vectors: [UInt8] = []
                for _ in 0..<16 {
                    let slot: [UInt32] = rng.below(3) != 0
                        ? [mrs, 0x9100_13DE, msr, 0xD69F_03E0]
                        : (0..<8).map { _ in Self.instruction(&rng) }
                    var bytes = Self.words(slot)
                    bytes += [UInt8](repeating: 0, count: 0x80 - bytes.count)
                    vectors += bytes
                }
                try vm.load(vectors, at: 0x4000_0000)
            }
            if withTables {
                // Level-1 table: entry 1 (VA 1-2 GiB) an identity 1 GiB block half the time,
                // else garbage; the rest garbage, tables and blocks pointing anywhere.
                var table = (0..<512).map { _ in rng.below(2) == 0 ? rng.next() : (rng.next() & 0xFFFF_FFFF_F000) | (rng.below(4)) }
                if rng.below(2) == 0 { table[1] = 0x4000_0401 }
                try vm.load(table.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }, at: 0x4010_0000)
            }
            let label = "fuzz guest \(i) (\(c.mode), EL\(c.entryEL), \(c.cpus) vCPUs\(withTables ? ", own stage 1" : ""))"
            if ProcessInfo.processInfo.environment["EL2EMU_FUZZ_VERBOSE"] != nil { FileHandle.standardError.write(Data("\(label)\n".utf8)) }
            reasons[Self.key(Self.timedRun(vm, entry: 0x4008_0000, label)), default: 0] += 1
        }
        XCTAssertEqual(reasons.values.reduce(0, +), runs)
        print("fuzz: \(runs) random guests: \(reasons.sorted { $0.key < $1.key })")
    }

    /// Mutated ELF and Image files, parsed and, when accepted, loaded and run:
    /// every run ends within its limits, with a StopReason.
    func testMutatedImagesLoadAndRunWithinTheirLimits() throws {
        let elf = try [UInt8](Data(contentsOf: FirmwareBuilderHelper.hello()))
        let image = try [UInt8](Data(contentsOf: FirmwareBuilder().buildImage("image")))
        var rng = SplitMix64(state: UInt64(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_SEED"] ?? "") ?? 0x1AA6E)
        let runs = Int(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_RUNS"] ?? "") ?? 60
        var reasons: [String: Int] = [:], refused = 0
        for i in 0..<runs {
            var b = i % 2 == 0 ? elf : image
            // Flip bits anywhere (the loaded code above all), or overwrite a run of bytes.
            for _ in 0..<1 + rng.below(16) {
                let at = Int(rng.below(UInt64(b.count)))
                if rng.below(4) == 0 { b[at] = UInt8(truncatingIfNeeded: rng.next()) } else { b[at] ^= 1 << UInt8(rng.below(8)) }
            }
            var c = Configuration()
            c.mode = i % 4 < 2 ? .nvhe : .vhe
            c.maxInstructions = 2_000_000
            c.timeoutSeconds = Self.timeout
            guard let loaded = try? GuestImage.parse(b, name: "fuzz", ramBase: c.ramBase, ramSize: c.ramSize) else { refused += 1; continue }
            let vm = try VirtualMachine(c)
            try vm.load(loaded)
            reasons[Self.key(Self.timedRun(vm, entry: loaded.entry, "mutated image \(i)")), default: 0] += 1
        }
        print("image fuzz: \(runs) mutated images, \(refused) refused, ran: \(reasons.sorted { $0.key < $1.key })")
    }

    func testImageLoaderRejectsMutatedImagesWithoutTrapping() throws {
        let elf = try [UInt8](Data(contentsOf: FirmwareBuilderHelper.hello()))
        var rng = SplitMix64(state: 0x10AD)
        var accepted = 0
        let runs = Int(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_RUNS"] ?? "").map { $0 * 100 } ?? 20_000
        for _ in 0..<runs {
            var b = elf
            switch rng.below(4) {
            case 0: b = Array(b.prefix(Int(rng.below(UInt64(b.count)))))                // truncate
            case 1: for _ in 0..<1 + rng.below(8) { b[Int(rng.below(128))] = UInt8(truncatingIfNeeded: rng.next()) } // header bytes
            case 2: for _ in 0..<1 + rng.below(8) { b[Int(rng.below(UInt64(b.count)))] = UInt8(truncatingIfNeeded: rng.next()) }
            default:
                // An Image header with random text_offset / image_size.
                b = [UInt8](repeating: 0, count: 64 + Int(rng.below(4096)))
                b[0x38] = 0x41; b[0x39] = 0x52; b[0x3A] = 0x4D; b[0x3B] = 0x64
                for i in 8..<24 { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            if (try? GuestImage.parse(b, name: "fuzz", ramBase: 0x4000_0000, ramSize: 128 << 20)) != nil { accepted += 1 }
        }
        print("loader fuzz: \(runs) mutated images, \(accepted) accepted")
    }
}

import GuestBuild
enum FirmwareBuilderHelper {
    static func hello() throws -> URL { try FirmwareBuilder().build("hello") }
}
