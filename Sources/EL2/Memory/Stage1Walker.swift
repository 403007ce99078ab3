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

extension Processor {
    var guestMMUEnabled: Bool { (engine.read(SystemRegisterID(.SCTLR_EL1)) ?? 0) & SCTLR.M != 0 }

    /// Translates `va` for `access`; with `fillTables`, every table page read is
    /// also entered into the stage-2 TLB so that Unicorn's own walk finds it.
    func stage1Translate(_ va: UInt64, _ access: MemoryAccessKind, fillTables: Bool) -> (Stage1Result, filled: Bool) {
        faults.lastAttrIndx = nil
        guard guestMMUEnabled else { return (.ipa(va), false) }
        let tcr = engine.read(SystemRegisterID(.TCR_EL1)) ?? 0
        // TCR_EL1.TBI0/TBI1: the top byte is not part of the address (a tagged pointer's tag lives there).
        let va = MemoryTagging.topByteIgnored(tcr, va) ? UInt64(bitPattern: Int64(bitPattern: va << 8) >> 8) : va
        let upper = va >> 63 == 1
        let tsz = Int(upper ? (tcr >> 16) & 0x3F : tcr & 0x3F)
        let granuleOK = upper ? (tcr >> 30) & 3 == 2 : (tcr >> 14) & 3 == 0
        guard granuleOK else { return (.unsupported("the guest's stage 1 uses a 16/64 KiB granule; el2emu walks 4 KiB tables only"), false) }
        if tcr & (upper ? 1 << 23 : 1 << 7) != 0 { return (.fault(.translation(level: 0)), false) }
        let inputBits = 64 - max(16, min(tsz, 39))
        let top = va >> UInt64(inputBits)
        guard top == (upper ? (UInt64.max >> UInt64(inputBits)) : 0) else { return (.fault(.translation(level: 0)), false) }
        let ttbr = engine.read(SystemRegisterID(upper ? .TTBR1_EL1 : .TTBR0_EL1)) ?? 0
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
                return (.walkFault(tableIPA: descIPA, f), filled)
            case .mapped(let m):
                descPA = m.paBase &+ (descIPA &- m.ipaBase)
                if fillTables && stage2Enabled && !tlbContains(descIPA) {
                    filled = tlbFill(m, for: descIPA) || filled
                }
            }
            guard let raw = memory.read64(descPA) else { return (.walkFault(tableIPA: descIPA, .synchronousExternal), filled) }
            let type = raw & 3
            if type == 3 && level < 3 {
                table = raw & 0x0000_FFFF_FFFF_F000
                level += 1
                continue
            }
            guard type == 3 || (type == 1 && (level == 1 || level == 2)) else { return (.fault(.translation(level: level)), filled) }
            guard raw & (1 << 10) != 0 else { return (.fault(.accessFlag(level: level)), filled) }
            // AP[2] (bit 7) read-only; PXN (53) for EL1 fetches, UXN (54) for EL0 ones,
            // XN (54) in non-VHE EL2's one-range regime (its PXN is RES0).
            let el0 = ProcessorState(raw: engine.read(.pstate)).mode == .el0t
            let xn: UInt64 = el0 || runsGuestNonVHEEL2Regime ? 1 << 54 : 1 << 53
            switch access {
            case .write where raw & (1 << 7) != 0: return (.fault(.permission(level: level)), filled)
            case .fetch where raw & xn != 0: return (.fault(.permission(level: level)), filled)
            default: break
            }
            let size: UInt64 = 1 << UInt64(shift)
            faults.lastAttrIndx = Int((raw >> 2) & 7)
            return (.ipa((raw & 0x0000_FFFF_FFFF_F000 & ~(size - 1)) | (va & (size - 1))), filled)
        }
        return (.fault(.translation(level: 3)), filled)
    }

    func tlbContains(_ ipa: UInt64) -> Bool {
        for size: UInt64 in [4096, 1 << 21, 1 << 30] {
            if let e = tlb.entries[ipa & ~(size - 1)], e.size >= size { return true }
        }
        return tlb.regime == .identity
    }
}
