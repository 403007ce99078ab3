import XCTest

/// `el2emu run --guest traps --hcr ±BIT --trace FILE` in both designs: the
/// trace shows the exit at the trapping instruction when the bit is set and
/// none when it is clear, and the guest passes its own checks either way.
final class TrapTraceTests: XCTestCase {
    struct Case {
        var bit: String
        var site: String
        /// What the trace's exit line at the site says (the kind and the handler's detail).
        var exit: String
        /// Set by default (KVM's guest flags)?
        var byDefault = true
    }

    let cases = [
        Case(bit: "TVM", site: "tvm_sctlr", exit: "MSR SCTLR_EL1, x9"),
        Case(bit: "TRVM", site: "trvm_ttbr0", exit: "MRS x11, TTBR0_EL1", byDefault: false),
        Case(bit: "TID3", site: "tid3_pfr0", exit: "MRS x3, ID_AA64PFR0_EL1"),
        Case(bit: "TACR", site: "tacr_write", exit: "MSR ACTLR_EL1, x12"),
        Case(bit: "TSW", site: "tsw_dc_isw", exit: "SYS S1_0_C7_C6_2, x4"),
        Case(bit: "TTLB", site: "ttlb_vae1", exit: "SYS S1_0_C8_C7_1, x6", byDefault: false),
        Case(bit: "TWE", site: "twe_wfe", exit: "WFx WFE: yield"),
        Case(bit: "TWI", site: "twi_wfi", exit: "WFx WFI: block vCPU"),
        Case(bit: "TSC", site: "tsc_smc", exit: "SMC64 SMC PSCI_VERSION (SMC64 #0x0)"),
        // Trapped but not emulated: the hypervisor injects an UNDEF, and says so.
        Case(bit: "TIDCP", site: "undef_impdef", exit: "MRS x5, S3_0_C15_C0_0: UNDEF injected"),
    ]

    func run(mode: String, hcr: String?) throws -> (result: EL2EmuCommand.Result, trace: String) {
        let trace = EL2EmuCommand.scratch("traps-\(mode)-\(hcr ?? "default").trace")
        let r = try EL2EmuCommand.run(["run", "--guest", "traps", "--mode", mode, "--trace", trace.path] + (hcr.map { ["--hcr", $0] } ?? []))
        defer { try? FileManager.default.removeItem(at: trace) }
        return (r, (try? String(contentsOf: trace, encoding: .utf8)) ?? "")
    }

    func site(_ name: String, in stdout: String) -> String? {
        stdout.split(separator: "\n").first { $0.hasPrefix("@\(name) ") }.map {
            "0x" + String(UInt64($0.split(separator: " ")[1].dropFirst(2), radix: 16)!, radix: 16)
        }
    }

    func testDefaultsAreKVMsGuestTraps() throws {
        for mode in ["nvhe", "vhe"] {
            let (r, trace) = try run(mode: mode, hcr: nil)
            XCTAssertEqual(r.status, 0, r.stderr)
            for c in cases {
                guard let pc = site(c.site, in: r.stdout) else { XCTFail("no site \(c.site)"); continue }
                let traps = trace.split(separator: "\n").contains { $0.contains(" exit ") && $0.contains(" pc=\(pc) ") }
                XCTAssertEqual(traps, c.byDefault, "\(mode): \(c.bit) by default")
            }
        }
    }

    func testEachTrapBitSetAndClearInBothDesigns() throws {
        for mode in ["nvhe", "vhe"] {
            for c in cases {
                for set in [true, false] {
                    let (r, trace) = try run(mode: mode, hcr: (set ? "+" : "-") + c.bit)
                    let label = "\(mode) \(set ? "+" : "-")\(c.bit)"
                    XCTAssertEqual(r.status, 0, "\(label): \(r.stderr)")
                    XCTAssertTrue(r.stdout.contains("traps: all passed"), "\(label): \(r.stdout)")
                    guard let pc = site(c.site, in: r.stdout) else { XCTFail("\(label): no site \(c.site)"); continue }
                    let lines = trace.split(separator: "\n").filter { $0.contains(" exit ") && $0.contains(" pc=\(pc) ") }
                    if set {
                        XCTAssertEqual(lines.count, 1, "\(label): one exit at \(pc)")
                        XCTAssertTrue(lines.first?.contains(c.exit) ?? false, "\(label): '\(lines.first ?? "")' should say '\(c.exit)'")
                    } else {
                        XCTAssertEqual(lines, [], "\(label): no exit at \(pc)")
                    }
                }
            }
        }
    }
}
