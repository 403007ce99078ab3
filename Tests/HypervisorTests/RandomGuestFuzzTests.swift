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
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: UInt64) -> UInt64 { next() % n }
    }

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

    func testRandomGuestsAlwaysStopCleanly() throws {
        let runs = Int(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_RUNS"] ?? "") ?? 400
        var rng = SplitMix64(state: 0xE12E_0001)
        var reasons: [String: Int] = [:]
        for i in 0..<runs {
            var c = Configuration()
            c.mode = i % 2 == 0 ? .nvhe : .vhe
            c.ramSize = 4 << 20
            c.maxInstructions = 20_000
            c.maxCycles = 50_000_000
            c.timeoutSeconds = 10
            // Random trap configuration too.
            c.hcrClear = HCR(rawValue: rng.next() & HCR.kvmGuest.rawValue & ~HCR.RW.rawValue)
            let vm = try VirtualMachine(c)
            var words: [UInt8] = []
            // Registers point into RAM, devices or nowhere; then random code.
            for reg in 0..<8 {
                let targets: [UInt64] = [0x4000_0000, 0x4010_0000, 0x0900_0000, 0x0800_0000, 0xDEAD_0000, 0x8400_0000 + UInt64(reg)]
                let t = targets[Int(rng.below(UInt64(targets.count)))]
                for (k, shift) in [(0, 0), (1, 16), (2, 32)] as [(UInt32, UInt64)] {
                    let insn: UInt32 = (k == 0 ? 0xD280_0000 : 0xF280_0000) | k << 21 | UInt32((t >> shift) & 0xFFFF) << 5 | UInt32(reg)
                    words += withUnsafeBytes(of: insn.littleEndian, Array.init)
                }
            }
            for _ in 0..<256 { words += withUnsafeBytes(of: Self.instruction(&rng).littleEndian, Array.init) }
            try vm.load(words, at: 0x4008_0000)
            if rng.below(2) == 0 {
                // Sometimes a vector table of random code too.
                var vectors: [UInt8] = []
                for _ in 0..<512 { vectors += withUnsafeBytes(of: Self.instruction(&rng).littleEndian, Array.init) }
                try vm.load(vectors, at: 0x4000_0000)
            }
            let reason = vm.run(entry: 0x4008_0000)
            let key: String
            switch reason {
            case .guestExit: key = "guest exit"
            case .instructionLimit: key = "instruction limit"
            case .virtualTimeLimit: key = "virtual time limit"
            case .wallClockTimeout, .traceLimit: key = "timeout"
            case .deadlock: key = "deadlock"
            case .error(let m): key = "error: " + String(m.prefix(30))
            }
            reasons[key, default: 0] += 1
        }
        XCTAssertEqual(reasons.values.reduce(0, +), runs)
        print("fuzz: \(runs) random guests: \(reasons.sorted { $0.key < $1.key })")
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
