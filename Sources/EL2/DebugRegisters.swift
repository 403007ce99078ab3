import AArch64

/// The breakpoint and watchpoint registers (DBGBVR<n>_EL1, DBGBCR<n>_EL1,
/// DBGWVR<n>_EL1, DBGWCR<n>_EL1: op0 2, op1 0, CRn 0, op2 4...7) are held
/// by the model and never reach Unicorn: QEMU arms real breakpoints from
/// them, which ends in a NULL jump in Unicorn 2.0.1's generated code, and on
/// 2.1.4 comes back as a prefetch abort the model cannot tell from a stage-1
/// fault. So the guest reads back what it wrote, and no breakpoint or
/// watchpoint debug event is generated (el2emu does not model them yet).
extension Processor {
    /// The slot of a breakpoint/watchpoint register in `debugRegisters`, if `r` is one.
    static func debugRegisterSlot(_ r: SystemRegister) -> Int? {
        guard r.op0 == 2, r.op1 == 0, r.crn == 0, r.op2 >= 4 else { return nil }
        return Int(r.op2 - 4) * 16 + Int(r.crm)
    }
}
