import AArch64
import Unicorn

/// AT from non-VHE EL2 code that owns EL2 (`--entry-el 2`): S1E2R/W through
/// its own EL2 regime, S12E1R/W and S12E0R/W through its guest's EL1&0
/// stage 1 and then its stage 2 (HCR_EL2.VM), S1E1R/W and S1E0R/W through
/// that stage 1 alone. Unicorn's EL1 runs EL2's regime, so an op1 = 0 AT
/// there would walk the wrong tables; all are walked by the model's own
/// stage-1 and stage-2 walkers, the result written to PAR_EL1 in its 64-bit
/// format (Arm ARM D17.2.113): PA, NS, SH and ATTR, or F with FST, PTW
/// (a stage-1 table read faulted at stage 2) and S (a stage-2 fault).
extension Processor {
    /// `AT` (op0 1, CRn 7, CRm 8) by the guest's EL2 code, with Xt = `va`. False when `r` is no AT.
    func guestEL2AddressTranslation(_ g: GuestOwnedEL2, _ r: SystemRegister, va: UInt64) -> Bool {
        guard r.op0 == 1 && r.crn == 7 && r.crm == 8 && runsGuestNonVHEEL2Regime else { return false }
        let access: MemoryAccessKind = r.op2 & 1 == 0 ? .read : .write
        let par: UInt64
        switch (r.op1, r.op2) {
        case (4, 0), (4, 1):   // S1E2R, S1E2W
            func u(_ s: SystemRegister) -> UInt64 { syncedEngine.read(SystemRegisterID(s)) ?? 0 }
            let regime = Stage1Registers(sctlr: u(.SCTLR_EL1), tcr: u(.TCR_EL1), ttbr0: u(.TTBR0_EL1), ttbr1: 0, el0: false, oneRange: true)
            par = physicalAddressRegister(va, access, regime, mair: u(.MAIR_EL1), stage2: false)
        case (4, 4...7), (0, 0...3):   // S12E1R/W, S12E0R/W; S1E1R/W, S1E0R/W
            func own(_ s: SystemRegister) -> UInt64 { g.el1Registers[s] ?? 0 }
            // TTBR1_EL1 is not swapped: Unicorn's is its guest's (EL2's regime disables TTBR1 walks).
            let regime = Stage1Registers(sctlr: own(.SCTLR_EL1), tcr: own(.TCR_EL1), ttbr0: own(.TTBR0_EL1),
                                         ttbr1: syncedEngine.read(SystemRegisterID(.TTBR1_EL1)) ?? 0, el0: r.op2 >= 2 && r.op2 != 4 && r.op2 != 5,
                                         oneRange: false)
            // The guest's table reads go through its stage 2 as its own walks do (`stage2Enabled` is EL1's).
            g.el1IsEL2 = false
            par = physicalAddressRegister(va, access, regime, mair: own(.MAIR_EL1), stage2: r.op1 == 4 && el2.hcr.contains(.VM))
            g.el1IsEL2 = true
        default:
            return false
        }
        syncedEngine.write(SystemRegisterID(.PAR_EL1), par)
        forgetEL1(.PAR_EL1)
        return true
    }

    /// PAR_EL1 for `va`: stage 1 of `regime`, then stage 2 if `stage2`.
    private func physicalAddressRegister(_ va: UInt64, _ access: MemoryAccessKind, _ regime: Stage1Registers,
                                         mair: UInt64, stage2: Bool) -> UInt64 {
        let lpae: UInt64 = 1 << 11
        func fault(_ f: FaultStatus, ptw: Bool = false, s2: Bool = false) -> UInt64 {
            lpae | 1 | UInt64(f.code) << 1 | (ptw ? 1 << 8 : 0) | (s2 ? 1 << 9 : 0)
        }
        let walk = stage1Walk(va, access, regime, fillTables: false)
        let ipa: UInt64
        switch walk.result {
        case .ipa(let a): ipa = a
        case .fault(let f): return fault(f)
        case .walkFault(_, let f): return fault(f, ptw: true, s2: true)
        case .unsupported: return fault(.translation(level: 0))
        }
        // Stage 1's attributes: MAIR[AttrIndx], SH; MMU off: Device-nGnRnE (ATTR 0).
        var attr: UInt64 = 0, sh: UInt64 = 2
        if walk.leaf != 0 {
            attr = mair >> (8 * (walk.leaf >> 2 & 7)) & 0xFF
            sh = walk.leaf >> 8 & 3
        }
        var pa = ipa
        if stage2 {
            switch stage2Translate(ipa, access) {
            case .fault(let f): return fault(f, s2: true)
            case .mapped(let m): pa = m.paBase &+ (ipa &- m.ipaBase)
            }
        }
        // Device or Normal Non-cacheable memory reads as Outer Shareable.
        if attr & 0xF0 == 0 || attr == 0x44 { sh = 2 }
        return lpae | pa & 0x0000_FFFF_FFFF_F000 | 1 << 9 | sh << 7 | attr << 56
    }
}
