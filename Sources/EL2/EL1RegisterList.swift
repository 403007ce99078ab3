import AArch64
import Unicorn

/// A list of EL1 registers that EL2 software saves or restores together,
/// like KVM's `__sysreg_save_el1_state`: each register is still one counted
/// MRS/MSR, but the list is routed once and reaches Unicorn in one call.
/// The registers may be named by their EL1 encodings or by *_EL12 aliases.
public final class EL1RegisterList: Sendable {
    public let registers: [SystemRegister]
    /// The EL1 register each entry reaches, and its slot in `Processor.el1Known` (or -1).
    let el1: [SystemRegister]
    let known: [Int8]
    /// Entries that are SP_EL0/SP_EL1 (banked with the live SP, not in the batch).
    let bankedSP: UInt32
    /// Some encoding that E2H sends to an EL2 register when accessed from EL2.
    let redirectable: Bool
    let batch: SystemRegisterBatch

    public init(_ registers: [SystemRegister]) {
        let routing = RegisterRouting.shared
        var el1: [SystemRegister] = [], known: [Int8] = [], banked: UInt32 = 0, redirectable = false
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
            if el1[i] == .SP_EL1 || el1[i] == .SP_EL0 { banked |= 1 << UInt32(i) }
        }
        self.registers = registers
        self.el1 = el1
        self.known = known
        self.bankedSP = banked
        self.redirectable = redirectable
        batch = SystemRegisterBatch(el1.map(SystemRegisterID.init))
    }

    public var count: Int { registers.count }
}

extension Processor {
    /// `values[i] = read(list.registers[i])` for every entry: the registers
    /// the PE already knows come from `el1Known`, the rest in one Unicorn call.
    public func save(_ list: EL1RegisterList, into values: UnsafeMutablePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { values[i] = read(list.registers[i]) }
            return
        }
        count(.sysregReadEL1, list.count)
        var missing: UInt32 = 0
        for i in 0..<list.count {
            if list.bankedSP & (1 << UInt32(i)) != 0 { values[i] = readBankedSP(list.el1[i]); continue }
            let k = Int(list.known[i])
            if k >= 0 && el1KnownMask & (1 << UInt32(k)) != 0 { values[i] = el1Known[k] } else { missing |= 1 << UInt32(i) }
        }
        guard missing != 0 else { return }
        engine.read(list.batch, selected: missing, into: values)
        var m = missing
        while m != 0 {
            let i = m.trailingZeroBitCount
            m &= m &- 1
            let k = Int(list.known[i])
            if k >= 0 { el1Known[k] = values[i]; el1KnownMask |= 1 << UInt32(k) }
        }
    }

    /// `write(list.registers[i], values[i])` for every entry: only the values
    /// that differ from what the registers hold reach Unicorn, in one call.
    public func restore(_ list: EL1RegisterList, from values: UnsafePointer<UInt64>) {
        if list.redirectable && el2.hcr.contains(.E2H) && currentEL == 2 {
            for i in 0..<list.count { write(list.registers[i], values[i]) }
            return
        }
        count(.sysregWriteEL1, list.count)
        var changed: UInt32 = 0
        for i in 0..<list.count {
            let v = values[i]
            if list.bankedSP & (1 << UInt32(i)) != 0 { writeBankedSP(list.el1[i], v); continue }
            let k = Int(list.known[i])
            if k >= 0 {
                if el1KnownMask & (1 << UInt32(k)) != 0 && el1Known[k] == v { continue }
                el1Known[k] = v
                el1KnownMask |= 1 << UInt32(k)
            }
            changed |= 1 << UInt32(i)
        }
        if changed != 0 { engine.write(list.batch, selected: changed, from: values) }
    }
}
