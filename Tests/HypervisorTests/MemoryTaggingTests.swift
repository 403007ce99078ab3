import AArch64
import EL2
import Foundation
import GuestBuild
@testable import Hypervisor
import XCTest

/// FEAT_MTE3 (`--mte`, EL2/Memory/MemoryTags.swift): the `mte` guest
/// (Firmware/guests/mte.c) tags two pages with STG and checks loads and
/// stores through matching and mismatching pointers under SCTLR_EL1.TCF
/// sync, async and asymm, in both designs and on QEMU's `virt,mte=on`.
final class MemoryTaggingTests: XCTestCase {
    static let checks = [
        "ID_AA64PFR1_EL1.MTE: FEAT_MTE3", "STG sets a granule's tag, LDG reads it back", "TCF = 0: no checks",
        "sync: a load through the matching tag", "sync: a mismatching load faults (DFSC 0x11, ISV 0), nothing loaded",
        "sync: FAR holds the tagged address", "sync: a mismatching store faults (WnR), memory unchanged",
        "sync: a pair reaching into the next page's granule (tag 5) faults", "sync: a matching pair is performed",
        "sync: TFSR_EL1 stays 0", "async: a mismatching load is performed", "async: TFSR_EL1.TF0 set",
        "async: a mismatching store is performed, TF0 set", "asymm: a mismatching load faults",
        "asymm: a mismatching store is performed, TF0 set", "ADDG: address + 32, tag 3 + 1 past the excluded 4",
        "IRG: the only tag GCR_EL1 and Xm leave is 7", "GMI: bit 9 added to the mask",
        "STG to an unaligned address: alignment fault", "STG to an unmapped VA: translation fault",
    ]

    /// KVM's view: HCR_EL2.ATA is set for the guest, so its MTE registers
    /// never exit; ID_AA64PFR1_EL1 is a TID3 exit that says MTE3; the tag
    /// check faults are the guest's own data aborts, taken without an exit.
    func testTagChecksInBothDesigns() throws {
        if let why = Configuration.mteUnavailable { throw XCTSkip(why) }
        for (mode, run) in try GuestRun.passingInBothDesigns("mte", Self.checks, configure: { $0.mte = true }) {
            let sys = run.exits.compactMap { e in e.esr.flatMap { $0.ec == .sys64 ? $0.sysRegister : nil } }
            XCTAssertTrue(sys.contains(.ID_AA64PFR1_EL1), "\(mode)")
            XCTAssertFalse(sys.contains { $0.isMemoryTagging }, "\(mode): \(sys)")
            XCTAssertFalse(run.exits.contains { $0.kind.hasPrefix("DABT") }, "\(mode): a tag check fault left the guest")
        }
    }

    /// Without `--mte` the CPU has no MTE: ID_AA64PFR1_EL1.MTE reads 0 and the guest stops there.
    func testWithoutMTEThereIsNone() throws {
        let run = try GuestRun("mte")
        XCTAssertTrue(run.output.contains("FAIL ID_AA64PFR1_EL1.MTE: FEAT_MTE3"), run.output)
        XCTAssertEqual(run.reason, .guestExit(status: 1, how: "semihosting SYS_EXIT"), run.output)
    }

    /// The same guest on QEMU 7.2 (`-machine virt,mte=on -cpu max`): every check passes there too.
    func testGuestPassesOnQEMUToo() throws {
        let (status, text) = try QEMUPeer.run("mte", machine: "virt,mte=on")
        XCTAssertEqual(status, 0, text)
        for check in Self.checks { XCTAssertTrue(text.contains("PASS \(check)\n"), "\(check)\n\(text)") }
    }

    /// Random code with MTE on: the MTE instructions with random fields, random
    /// tags in pointers, loads and stores to RAM made Tagged, at EL1 and EL2 in
    /// both designs. Every run must end with a StopReason within its limits.
    func testRandomTaggingGuestsStopCleanly() throws {
        if let why = Configuration.mteUnavailable { throw XCTSkip(why) }
        let runs = Int(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_RUNS"] ?? "") ?? 80
        var rng = SplitMix64(state: UInt64(ProcessInfo.processInfo.environment["EL2EMU_FUZZ_SEED"] ?? "") ?? 0x3E7A_0001)
        func mov(_ rd: UInt32, _ v: UInt64) -> [UInt32] {
            (0..<4).map { k in (k == 0 ? 0xD280_0000 : 0xF280_0000) | UInt32(k) << 21 | UInt32((v >> (16 * UInt64(k))) & 0xFFFF) << 5 | rd }
        }
        func msr(_ op1: UInt32, _ crn: UInt32, _ crm: UInt32, _ op2: UInt32, _ rt: UInt32) -> UInt32 {
            0xD518_0000 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt
        }
        var reasons: [String: Int] = [:]
        for i in 0..<runs {
            var c = Configuration()
            c.mode = i % 2 == 0 ? .nvhe : .vhe
            c.entryEL = i % 4 < 2 ? 1 : 2
            c.mte = true
            c.ramSize = 4 << 20
            c.maxInstructions = 20_000
            c.maxCycles = 50_000_000
            c.timeoutSeconds = RandomGuestFuzzTests.timeout
            let vm = try VirtualMachine(c)
            let op1: UInt32 = c.entryEL == 2 ? 4 : 0
            var code: [UInt32] = []
            if c.entryEL == 2 && c.mode == .vhe { code += [0xD2A1_0000, 0xB25E_0000, 0xD51C_1100, 0xD503_3FDF] }   // HCR_EL2 = E2H|TGE
            // Vectors at RAM (each steps over what faulted), a 1 GiB Tagged identity block of RAM at
            // 0x40000000 (MAIR attr0 0xF0), TBI0, then SCTLR with M, ATA and a random TCF.
            code += mov(30, 0x4000_0000) + [msr(op1, 12, 0, 0, 30)]
            code += mov(20, 0x4010_0000) + [msr(op1, 2, 0, 0, 20)]
            code += mov(21, 0xF0) + [msr(op1, 10, 2, 0, 21)]
            code += mov(21, 25 | 1 << 23 | 2 << 30 | 1 << 37) + [msr(op1, 2, 0, 2, 21)]   // T0SZ 25, EPD1, TG1 4 KiB, TBI0
            code += mov(22, (c.entryEL == 2 ? SCTLR.EL2RES1 : SCTLR.EL1RES1) | 1 | 1 << 43 | rng.below(4) << 40) + [msr(op1, 1, 0, 0, 22), 0xD503_3FDF]
            // Registers into RAM with random tags.
            for reg: UInt32 in 0..<8 { code += mov(reg, 0x4000_0000 + rng.below(1 << 20) & ~0xF | rng.below(16) << 56) }
            for _ in 0..<256 {
                let rt = UInt32(rng.below(32)), rn = UInt32(rng.below(10)), r = UInt32(truncatingIfNeeded: rng.next())
                switch rng.below(10) {
                case 0: code.append(0xD920_0000 | r & 0x00DF_FC00 | rn << 5 | rt)              // STG family, LDG
                case 1: code.append([0x6880_0000, 0x6900_0000, 0x6980_0000][Int(rng.below(3))] | r & 0x003F_FC00 | rn << 5 | rt) // STGP
                case 2: code.append([0x9AC0_1000, 0x9AC0_1400, 0x9AC0_0000][Int(rng.below(3))] | r & 0x001F_0000 | rn << 5 | rt) // IRG, GMI, SUBP
                case 3: code.append(0x9180_0000 | r & 0x403F_3C00 | rn << 5 | rt)              // ADDG, SUBG
                case 4: code.append([msr(0, 5, 6, 0, rt), msr(0, 1, 0, 6, rt), msr(0, 1, 0, 5, rt), msr(3, 4, 2, 7, rt),
                                     msr(4, 5, 6, 0, rt), 0xD538_5600 | rt, 0xD503_409F | UInt32(rng.below(2)) << 8][Int(rng.below(7))])
                case 5: code.append(0xF2E0_0000 | UInt32(rng.below(1 << 16)) << 5 | rn)         // MOVK lsl 48: a random tag
                case 6: code.append(0xF940_0000 | r & 0x003F_FC00 | rn << 5 | rt)              // LDR X
                case 7: code.append(0xA900_0000 | r & 0x003F_FC00 | rn << 5 | rt)              // STP X
                default: code.append(RandomGuestFuzzTests.instruction(&rng))
                }
            }
            try vm.load(RandomGuestFuzzTests.words(code), at: 0x4008_0000)
            let (mrs, msrELR): (UInt32, UInt32) = c.entryEL == 2 ? (0xD53C_403E, 0xD51C_403E) : (0xD538_403E, 0xD518_403E)
            let slot = RandomGuestFuzzTests.words([mrs, 0x9100_13DE, msrELR, 0xD69F_03E0])
            try vm.load((0..<16).flatMap { _ in slot + [UInt8](repeating: 0, count: 0x80 - slot.count) }, at: 0x4000_0000)
            try vm.load(withUnsafeBytes(of: UInt64(0x4000_0401).littleEndian, Array.init), at: 0x4010_0008)   // L1[1]: RAM, AttrIndx 0
            let label = "MTE fuzz guest \(i) (\(c.mode), EL\(c.entryEL))"
            let reason = RandomGuestFuzzTests.timedRun(vm, entry: 0x4008_0000, label)
            if ProcessInfo.processInfo.environment["EL2EMU_FUZZ_VERBOSE"] != nil { print("\(label): \(reason)") }
            reasons[RandomGuestFuzzTests.key(reason), default: 0] += 1
        }
        XCTAssertEqual(reasons.values.reduce(0, +), runs)
        print("MTE fuzz: \(runs) random guests: \(reasons.sorted { $0.key < $1.key })")
    }
}
