import AArch64

/// Where an MRS/MSR encoding issued by EL2 software goes, decided once per
/// encoding (a 64K-entry table) so that the world switch pays one load per
/// access, not a chain of comparisons. The parts that depend on state
/// (CurrentEL, HCR_EL2.E2H) are left to `Processor.resolve`.
struct RegisterRouting {
    enum Kind: UInt8 {
        case el1            // an EL1/EL0 register in Unicorn's CPU
        case el1Redirected  // an EL1 encoding that E2H redirects to an EL2 register at EL2
        case el2            // an EL2 register of the model (`EL2Registers`)
        case el12Alias      // *_EL12/*_EL02 (op1 = 5): the EL1 register from EL2
        case icc            // ICC_*: the virtual CPU interface, or the physical one at EL2
        case ich            // ICH_*: the list registers and their controls
        case timer          // CNTP_*/CNTV_*/CNTHP_*
        case timerEL02      // CNTP_*_EL02/CNTV_*_EL02: the EL0 timer registers
    }

    struct Entry {
        var kind: Kind
        /// For `el2` and `el1Redirected`: the EL2 register's slot in `EL2Registers.values`.
        var el2Slot: Int8 = -1
        /// For EL1 registers (reached directly, redirected-when-E2H-is-clear, or
        /// through an *_EL12 alias): the slot in `Processor.el1Known`, or -1.
        var knownSlot: Int8 = -1
    }

    let entries: [Entry]

    static func key(_ r: SystemRegister) -> Int { EL2Registers.key(r) }

    static let shared = RegisterRouting()

    /// The EL1 registers whose content `Processor` keeps track of while EL2
    /// software runs: the world switch's set, except SP_EL1 (banked with the live SP).
    static let knownEL1: [SystemRegister] = SystemRegister.el1Context.filter { $0 != .SP_EL1 }
        + [.MDSCR_EL1, .TPIDR_EL0, .TPIDRRO_EL0, .ACTLR_EL1]

    private init() {
        var e = [Entry](repeating: Entry(kind: .el1), count: 1 << 16)
        for k in 0..<(1 << 16) {
            let r = SystemRegister(UInt8(k >> 14), UInt8(k >> 11 & 7), UInt8(k >> 7 & 15), UInt8(k >> 3 & 15), UInt8(k & 7))
            e[k] = RegisterRouting.classify(r)
        }
        entries = e
    }

    private static func classify(_ r: SystemRegister) -> Entry {
        let el2Slot = EL2Registers.slotTable[key(r)]
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 0 { return Entry(kind: .icc) }
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 4 { return Entry(kind: .ich) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 3 && r.crm >= 2 { return Entry(kind: .timer) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 5 && r.crm >= 2 { return Entry(kind: .timerEL02) }
        if r == .CNTVOFF_EL2 { return Entry(kind: .el2, el2Slot: el2Slot) }
        if r.op0 == 3 && r.op1 == 4 && r.crn == 14 && r.crm == 2 { return Entry(kind: .timer) }   // CNTHP_*_EL2
        if r == .SP_EL1 { return Entry(kind: .el1) }
        if r.isEL12Alias { return Entry(kind: .el12Alias, knownSlot: knownSlot(SystemRegister(r.op0, 0, r.crn, r.crm, r.op2))) }
        if r.isEL2 { return Entry(kind: .el2, el2Slot: el2Slot) }
        let redirect = EL2Registers.redirectTable[key(r)]
        if redirect >= 0 { return Entry(kind: .el1Redirected, el2Slot: redirect, knownSlot: knownSlot(r)) }
        return Entry(kind: .el1, knownSlot: knownSlot(r))
    }

    private static func knownSlot(_ r: SystemRegister) -> Int8 {
        knownEL1.firstIndex(of: r).map { Int8($0) } ?? -1
    }
}
