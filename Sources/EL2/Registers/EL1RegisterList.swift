import AArch64
import Unicorn

/// A list of EL1 registers that EL2 software saves or restores together,
/// like KVM's `__sysreg_save_el1_state`: each register is still one counted
/// MRS/MSR, but the list is routed once and reaches Unicorn in one call.
/// The registers may be named by their EL1 encodings or by *_EL12 aliases.
public final class EL1RegisterList: @unchecked Sendable {  // immutable after init
    public let registers: [SystemRegister]
    public let count: Int
    /// The EL1 register each entry reaches.
    let el1: [SystemRegister]
    /// Each entry's slot in `Processor.el1Known` (or -1): a plain buffer, read in the loops.
    let known: UnsafeMutablePointer<Int8>
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
        var el1: [SystemRegister] = [], known: [Int8] = [], banked: UInt32 = 0, regime: UInt32 = 0, redirectable = false
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
            known.append(e.knownSlot)
            if el1[i].changesTranslationRegime { regime |= 1 << UInt32(i) }
            if el1[i] == .SP_EL1 || el1[i] == .SP_EL0 {
                // The live SP moves between the banks: it is never a known register.
                precondition(e.knownSlot < 0, "a banked SP cannot be a known EL1 register")
                banked |= 1 << UInt32(i)
            }
        }
        self.registers = registers
        self.count = registers.count
        self.el1 = el1
        self.known = .allocate(capacity: max(1, known.count))
        self.known.initialize(from: known, count: known.count)
        self.bankedSP = banked
        self.regime = regime
        self.redirectable = redirectable
        mdscrBit = el1.firstIndex(of: .MDSCR_EL1).map { 1 << UInt32($0) } ?? 0
        batch = SystemRegisterBatch(el1.map(SystemRegisterID.init))
    }

    deinit { known.deallocate() }
}

extension Processor {
    /// `values[i] = read(list.registers[i])` for every entry: the registers
    /// the PE already knows come from `known.el1`, the rest in one Unicorn call.
    public func save(_ list: EL1RegisterList, into values: UnsafeMutablePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { values[i] = read(list.registers[i]) }
            return
        }
        let n = list.count, slots = list.known, cache = known.el1, banked = list.bankedSP
        count(.sysregReadEL1, n)
        var missing: UInt32 = 0
        let knownMask = known.el1Mask
        for i in 0..<n {
            let k = Int(slots[i])
            if k >= 0 && knownMask & (1 << UInt32(k)) != 0 { values[i] = cache[k] } else { missing |= 1 << UInt32(i) }
        }
        var sp = missing & banked
        while sp != 0 {
            let i = sp.trailingZeroBitCount
            sp &= sp &- 1
            values[i] = readBankedSP(list.el1[i])
        }
        missing &= ~banked
        guard missing != 0 else { return }
        engine.read(list.batch, selected: missing, into: values)
        if missing & list.mdscrBit != 0 { values[list.mdscrBit.trailingZeroBitCount] = debug.mdscr }
        var m = missing, learned = knownMask
        while m != 0 {
            let i = m.trailingZeroBitCount
            m &= m &- 1
            let k = Int(slots[i])
            if k >= 0 { cache[k] = values[i]; learned |= 1 << UInt32(k) }
        }
        known.el1Mask = learned
    }

    /// `write(list.registers[i], values[i])` for every entry: only the values
    /// that differ from what the registers hold reach Unicorn, when it next runs.
    public func restore(_ list: EL1RegisterList, from values: UnsafePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { write(list.registers[i], values[i]) }
            return
        }
        let n = list.count, slots = list.known, banked = list.bankedSP, mdscr = list.mdscrBit
        count(.sysregWriteEL1, n)
        var changed: UInt32 = 0, later: UInt32 = 0, k1 = known
        for i in 0..<n {
            let v = values[i], k = Int(slots[i]), b: UInt32 = 1 &<< UInt32(i)
            if k >= 0 {
                if k1.el1Mask & (1 &<< UInt32(k)) != 0 && k1.el1[k] == v { continue }
                if b == mdscr {
                    k1.el1[k] = v
                    k1.el1Mask |= 1 &<< UInt32(k)
                } else {
                    // Unicorn gets it when it next runs (`flushEL1`).
                    k1.writeLater(k, v)
                    later |= b
                }
            }
            changed |= b
        }
        if changed & list.regime != 0 { k1.stage1Dirty = true }
        known = k1
        changed &= ~later
        var sp = changed & banked
        while sp != 0 {
            let i = sp.trailingZeroBitCount
            sp &= sp &- 1
            writeBankedSP(list.el1[i], values[i])
        }
        changed &= ~banked
        if changed & list.mdscrBit != 0 {
            changed &= ~list.mdscrBit
            debug.mdscr = values[list.mdscrBit.trailingZeroBitCount] & 0xFFFF_FFFF
            armDebugEvents()
        }
        if changed != 0 { engine.write(list.batch, selected: changed, from: values) }
    }
}
