import AArch64
import Unicorn

/// The guest's own stage 1 (EL1&0 regime, 4 KiB granule), walked in software.
/// Unicorn walks it itself when it runs the guest; the model walks it again
/// only after a fault, to learn what Unicorn does not say: the IPA of a VA
/// (Unicorn 2.0.1 reports VAs), the IPA of a table whose read hit stage 2
/// (S1PTW), and the syndrome of a genuine stage-1 fault. Table reads go
/// through stage 2 like the hardware's.
enum Stage1Result: Equatable {
    case ipa(UInt64)
    case fault(FaultStatus)
    /// A table read at `tableIPA` took a stage-2 fault.
    case walkFault(tableIPA: UInt64, FaultStatus)
    case unsupported(String)
}

/// The registers of a stage-1 regime: those Unicorn runs with, or another's (AT from EL2).
struct Stage1Registers {
    var sctlr, tcr, ttbr0, ttbr1: UInt64
    /// An EL0 access (UXN); `oneRange`: non-VHE EL2's regime (XN at bit 54, no PXN).
    var el0: Bool
    var oneRange: Bool
}

extension Processor {
    var guestMMUEnabled: Bool { el1Value(.SCTLR_EL1) & SCTLR.M != 0 }

    /// Translates `va` for `access`; with `fillTables`, every table page read is
    /// also entered into the stage-2 TLB so that Unicorn's own walk finds it.
    func stage1Translate(_ va: UInt64, _ access: MemoryAccessKind, fillTables: Bool) -> (Stage1Result, filled: Bool) {
        faults.lastAttrIndx = nil
        guard guestMMUEnabled else { return (.ipa(va), false) }
        let regime = Stage1Registers(sctlr: SCTLR.M, tcr: el1Value(.TCR_EL1), ttbr0: el1Value(.TTBR0_EL1), ttbr1: el1Value(.TTBR1_EL1),
                                     el0: ProcessorState(raw: engine.read(.pstate)).mode == .el0t, oneRange: runsGuestNonVHEEL2Regime)
        let w = stage1Walk(va, access, regime, fillTables: fillTables)
        return (w.result, w.filled)
    }

    /// The walk of `regime`'s tables; `leaf` is the descriptor that mapped `va` (0 if none, or the MMU is off).
    func stage1Walk(_ va: UInt64, _ access: MemoryAccessKind, _ regime: Stage1Registers, fillTables: Bool) -> (result: Stage1Result, filled: Bool, leaf: UInt64) {
        guard regime.sctlr & SCTLR.M != 0 else { return (.ipa(va), false, 0) }
        let tcr = regime.tcr
        // TCR.TBI0/TBI1: the top byte is not part of the address (a tagged pointer's tag lives there).
        let va = MemoryTagging.topByteIgnored(tcr, va) ? UInt64(bitPattern: Int64(bitPattern: va << 8) >> 8) : va
        let upper = va >> 63 == 1
        let tsz = Int(upper ? (tcr >> 16) & 0x3F : tcr & 0x3F)
        let granuleOK = upper ? (tcr >> 30) & 3 == 2 : (tcr >> 14) & 3 == 0
        guard granuleOK else { return (.unsupported("the guest's stage 1 uses a 16/64 KiB granule; el2emu walks 4 KiB tables only"), false, 0) }
        if tcr & (upper ? 1 << 23 : 1 << 7) != 0 { return (.fault(.translation(level: 0)), false, 0) }
        let inputBits = 64 - max(16, min(tsz, 39))
        let top = va >> UInt64(inputBits)
        guard top == (upper ? (UInt64.max >> UInt64(inputBits)) : 0) else { return (.fault(.translation(level: 0)), false, 0) }
        let ttbr = upper ? regime.ttbr1 : regime.ttbr0
        var table = ttbr & 0x0000_FFFF_FFFF_FFFE
        let start = 3 - (inputBits - 13) / 9
        var level = start
        var filled = false
        while level <= 3 {
            let shift = VTCR.shift(level: level)
            let bits = level == start ? inputBits - shift : 9
            let index = (va >> UInt64(shift)) & ((1 << UInt64(bits)) - 1)
            let descIPA = table &+ index &* 8
            let descPA: UInt64
            switch stage2Translate(descIPA, .read) {
            case .fault(let f):
                return (.walkFault(tableIPA: descIPA, f), filled, 0)
            case .mapped(let m):
                descPA = m.paBase &+ (descIPA &- m.ipaBase)
                if fillTables && stage2Enabled && !tlbContains(descIPA) {
                    filled = tlbFill(m, for: descIPA) || filled
                }
            }
            guard let raw = memory.read64(descPA) else { return (.walkFault(tableIPA: descIPA, .synchronousExternal), filled, 0) }
            let type = raw & 3
            if type == 3 && level < 3 {
                table = raw & 0x0000_FFFF_FFFF_F000
                level += 1
                continue
            }
            guard type == 3 || (type == 1 && (level == 1 || level == 2)) else { return (.fault(.translation(level: level)), filled, 0) }
            guard raw & (1 << 10) != 0 else { return (.fault(.accessFlag(level: level)), filled, 0) }
            // AP[2] (bit 7) read-only; PXN (53) for EL1 fetches, UXN (54) for EL0 ones,
            // XN (54) in non-VHE EL2's one-range regime (its PXN is RES0).
            let xn: UInt64 = regime.el0 || regime.oneRange ? 1 << 54 : 1 << 53
            // AP[1] (bit 6) clear: no access from EL0 (in EL2's one range it is RES1).
            if regime.el0 && !regime.oneRange && raw & (1 << 6) == 0 { return (.fault(.permission(level: level)), filled, 0) }
            switch access {
            case .write where raw & (1 << 7) != 0: return (.fault(.permission(level: level)), filled, 0)
            case .fetch where raw & xn != 0: return (.fault(.permission(level: level)), filled, 0)
            default: break
            }
            let size: UInt64 = 1 << UInt64(shift)
            faults.lastAttrIndx = Int((raw >> 2) & 7)
            return (.ipa((raw & 0x0000_FFFF_FFFF_F000 & ~(size - 1)) | (va & (size - 1))), filled, raw)
        }
        return (.fault(.translation(level: 3)), filled, 0)
    }

    /// Any entry covering `ipa`, a coalesced page run too: one that missed a
    /// run was entered again and again (a stage-1 fault Unicorn raised was then
    /// taken for a table page it lacked and retried for ever, pagecross with --demand-paging).
    func tlbContains(_ ipa: UInt64) -> Bool {
        tlb.regime == .identity || tlbEntry(covering: ipa) != nil
    }
}
