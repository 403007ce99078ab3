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

    /// One entry per packed encoding: the kind, and for `el2` and
    /// `el1Redirected` the EL2 register's slot in `EL2Registers.values`.
    let entries: [(kind: Kind, slot: Int8)]

    static func key(_ r: SystemRegister) -> Int { EL2Registers.key(r) }

    static let shared = RegisterRouting()

    private init() {
        var e = [(kind: Kind, slot: Int8)](repeating: (.el1, -1), count: 1 << 16)
        for k in 0..<(1 << 16) {
            let r = SystemRegister(UInt8(k >> 14), UInt8(k >> 11 & 7), UInt8(k >> 7 & 15), UInt8(k >> 3 & 15), UInt8(k & 7))
            e[k] = RegisterRouting.classify(r)
        }
        entries = e
    }

    private static func classify(_ r: SystemRegister) -> (kind: Kind, slot: Int8) {
        let el2Slot = EL2Registers.slotTable[key(r)]
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 0 { return (.icc, -1) }
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 4 { return (.ich, -1) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 3 && r.crm >= 2 { return (.timer, -1) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 5 && r.crm >= 2 { return (.timerEL02, -1) }
        if r == .CNTVOFF_EL2 { return (.el2, el2Slot) }
        if r.op0 == 3 && r.op1 == 4 && r.crn == 14 && r.crm == 2 { return (.timer, -1) }   // CNTHP_*_EL2
        if r == .SP_EL1 { return (.el1, -1) }
        if r.isEL12Alias { return (.el12Alias, -1) }
        if r.isEL2 { return (.el2, el2Slot) }
        let redirect = EL2Registers.redirectTable[key(r)]
        if redirect >= 0 { return (.el1Redirected, redirect) }
        return (.el1, -1)
    }
}
