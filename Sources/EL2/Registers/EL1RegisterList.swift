import AArch64
import Unicorn

/// A list of EL1 registers that EL2 software saves or restores together,
/// like KVM's `__sysreg_save_el1_state`: each register is still one counted
/// MRS/MSR, but the list is routed once, lines up with the PE's known values
/// (a run of `RegisterRouting.knownEL1`) and reaches Unicorn in one call.
/// The registers may be named by their EL1 encodings or by *_EL12 aliases.
public final class EL1RegisterList: @unchecked Sendable {  // immutable after init
    public let registers: [SystemRegister]
    public let count: Int
    /// The EL1 register each entry reaches.
    let el1: [SystemRegister]
    /// Entry i is slot `base + i` of `Processor.known`: saved and compared as a block.
    let base: UInt32
    /// Every entry's bit.
    let all: UInt32
    /// Entries that are SP_EL0/SP_EL1 (banked with the live SP, not in the batch).
    let bankedSP: UInt32
    /// Entries that change the stage-1 regime (`changesTranslationRegime`).
    let regime: UInt32
    /// Some encoding that E2H sends to an EL2 register when accessed from EL2.
    let redirectable: Bool
    /// The bit of MDSCR_EL1's entry (0 if none): the model holds it, not Unicorn (DebugRegisters.swift).
    let mdscrBit: UInt32
    let batch: SystemRegisterBatch

    public init(_ registers: [SystemRegister]) {
        let routing = RegisterRouting.shared
        var el1: [SystemRegister] = [], banked: UInt32 = 0, regime: UInt32 = 0, redirectable = false
        for (i, r) in registers.enumerated() {
            let e = routing.entry(r)
            switch e.kind {
            case .el1, .el1Redirected:
                el1.append(r)
                redirectable = redirectable || e.kind == .el1Redirected
            case .el12Alias:
                el1.append(SystemRegister(r.op0, 0, r.crn, r.crm, r.op2))
            default:
                preconditionFailure("\(r) is not an EL1 register")
            }
            if el1[i].changesTranslationRegime { regime |= 1 << UInt32(i) }
            // The live SP moves between the banks: read and written through `readBankedSP`/`writeBankedSP`.
            if el1[i] == .SP_EL1 || el1[i] == .SP_EL0 { banked |= 1 << UInt32(i) }
        }
        let known = RegisterRouting.knownEL1
        let base = el1.first.flatMap { known.firstIndex(of: $0) } ?? 0
        precondition(base + el1.count <= known.count && Array(known[base..<base + el1.count]) == el1,
                     "an EL1 register list must be a run of RegisterRouting.knownEL1")
        self.registers = registers
        self.count = registers.count
        self.el1 = el1
        self.base = UInt32(base)
        self.all = UInt32(truncatingIfNeeded: (1 << UInt64(el1.count)) - 1)
        self.bankedSP = banked
        self.regime = regime
        self.redirectable = redirectable
        mdscrBit = el1.firstIndex(of: .MDSCR_EL1).map { 1 << UInt32($0) } ?? 0
        batch = SystemRegisterBatch(el1.map(SystemRegisterID.init))
    }
}

extension Processor {
    /// `values[i] = read(list.registers[i])` for every entry: the registers
    /// the PE already knows are copied from `known.el1` as one block, the
    /// rest read in one Unicorn call.
    public func save(_ list: EL1RegisterList, into values: UnsafeMutablePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { values[i] = read(list.registers[i]) }
            return
        }
        let n = list.count, cache = known.el1 + Int(list.base)
        count(.sysregReadEL1, n)
        values.update(from: cache, count: n)
        var missing = list.all & ~(known.el1Mask >> list.base)
        guard missing != 0 else { return }
        var sp = missing & list.bankedSP
        while sp != 0 {
            let i = sp.trailingZeroBitCount
            sp &= sp &- 1
            values[i] = readBankedSP(list.el1[i])
        }
        missing &= ~list.bankedSP
        guard missing != 0 else { return }
        engine.read(list.batch, selected: missing, into: values)
        if missing & list.mdscrBit != 0 { values[list.mdscrBit.trailingZeroBitCount] = debug.mdscr }
        var m = missing
        while m != 0 {
            let i = m.trailingZeroBitCount
            m &= m &- 1
            cache[i] = values[i]
        }
        known.el1Mask |= missing << list.base
    }

    /// `write(list.registers[i], values[i])` for every entry: only the values
    /// that differ from what the registers hold reach Unicorn, when it next runs.
    public func restore(_ list: EL1RegisterList, from values: UnsafePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { write(list.registers[i], values[i]) }
            return
        }
        let n = list.count, base = list.base, cache = known.el1 + Int(base)
        count(.sysregWriteEL1, n)
        // What differs from the known values, and what is not known.
        var changed = list.all & ~(known.el1Mask >> base), bit: UInt32 = 1
        for i in 0..<n {
            if cache[i] != values[i] { changed |= bit }
            bit &<<= 1
        }
        guard changed != 0 else { return }
        if changed & list.regime != 0 { known.stage1Dirty = true }
        var sp = changed & list.bankedSP
        while sp != 0 {
            let i = sp.trailingZeroBitCount
            sp &= sp &- 1
            writeBankedSP(list.el1[i], values[i])
        }
        if changed & list.mdscrBit != 0 {
            let i = list.mdscrBit.trailingZeroBitCount
            cache[i] = values[i]
            known.el1Mask |= list.mdscrBit << base
            debug.mdscr = values[i] & 0xFFFF_FFFF
            armDebugEvents()
        }
        // Unicorn gets the rest when it next runs (`flushEL1`).
        let later = changed & ~(list.bankedSP | list.mdscrBit)
        if later != 0 { known.writeLater(later, at: Int(base), values) }
    }
}
