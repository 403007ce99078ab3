import AArch64
import CostModel
import EL2

// Contexts are passed inout even to restore: in place, not copied (a copy
// of a CPUContext retains and releases its arrays on every exit).

/// Save and restore of EL1 state, shared by both designs (KVM's
/// `include/hyp/sysreg-sr.h`). Every access is a counted hardware operation.
enum SystemRegisterSaveRestore {
    /// `__sysreg_save_el1_state` plus the common state (MDSCR, TPIDR*_EL0, SP_EL0).
    static let el1State: [SystemRegister] = SystemRegister.el1Context
    static let commonState: [SystemRegister] = [.MDSCR_EL1, .TPIDR_EL0, .TPIDRRO_EL0, .SP_EL0]

    /// The context slots of the sets (`CPUContext.slots` lists them first, in
    /// this order): the loops index the slots, with no lookup per register.
    static let el1Slot = CPUContext.slotRange(el1State)
    static let el1StateEL12: [SystemRegister] = el1State.map(alias)
    /// The sets routed once, for the processor's list save/restore (one Unicorn call each).
    static let el1List = EL1RegisterList(el1State)
    static let el1ListEL12 = EL1RegisterList(el1StateEL12)
    /// Split mode's whole set, the EL1 state then the common state: one list, one loop.
    static let splitList = EL1RegisterList(el1State + commonState)
    static let splitSlot = CPUContext.slotRange(el1State + commonState)

    /// Reads the EL1 state out of the CPU. `viaEL12`: from EL2 with E2H, through the *_EL12 aliases.
    static func saveEL1State(_ vcpu: VCPU, into ctx: inout CPUContext, viaEL12: Bool = false) {
        save(viaEL12 ? el1ListEL12 : el1List, vcpu, into: &ctx, at: el1Slot)
    }

    static func restoreEL1State(_ vcpu: VCPU, from ctx: inout CPUContext, viaEL12: Bool = false) {
        restore(viaEL12 ? el1ListEL12 : el1List, vcpu, from: &ctx, at: el1Slot)
    }

    /// Split mode's `__sysreg_save_state_nvhe`: the EL1 state and the common state.
    static func saveState(_ vcpu: VCPU, into ctx: inout CPUContext) {
        save(splitList, vcpu, into: &ctx, at: splitSlot)
    }

    /// `__sysreg_restore_state_nvhe`.
    static func restoreState(_ vcpu: VCPU, from ctx: inout CPUContext) {
        restore(splitList, vcpu, from: &ctx, at: splitSlot)
    }

    /// Each register is an MRS to a context slot (a store: one memory access).
    private static func save(_ list: EL1RegisterList, _ vcpu: VCPU, into ctx: inout CPUContext, at base: Int) {
        let cpu = vcpu.cpu
        vcpu.storeMemory(list.count) { ctx.sysregs.withUnsafeMutableBufferPointer { cpu.save(list, into: $0.baseAddress! + base) } }
    }

    /// Each register is a load from its context slot, then an MSR.
    private static func restore(_ list: EL1RegisterList, _ vcpu: VCPU, from ctx: inout CPUContext, at base: Int) {
        let cpu = vcpu.cpu
        vcpu.loadMemory(list.count) { ctx.sysregs.withUnsafeBufferPointer { cpu.restore(list, from: $0.baseAddress! + base) } }
    }

    /// SP_EL1, ELR_EL1 and SPSR_EL1 have no *_EL12 form that E2H needs: SP_EL1 is
    /// reachable from EL2 directly; ELR/SPSR use ELR_EL12/SPSR_EL12 (op1=5).
    static func alias(_ r: SystemRegister) -> SystemRegister {
        r == .SP_EL1 ? r : r.el12Alias
    }

    /// Guest exit state the handlers need: ELR_EL2/SPSR_EL2 (the guest PC and
    /// PSTATE). `viaEL1`: with E2H, through the ELR_EL1/SPSR_EL1 encodings.
    @inline(__always)
    static func saveReturnState(_ vcpu: VCPU, into ctx: inout CPUContext, viaEL1: Bool = false) {
        let cpu = vcpu.cpu
        // Branches, not a handle picked by `?:`: Swift builds a picked handle byte by byte.
        let pc = viaEL1 ? cpu.read(vcpu.regs.elrEL1) : cpu.read(vcpu.regs.elrEL2)
        let pstate = viaEL1 ? cpu.read(vcpu.regs.spsrEL1) : cpu.read(vcpu.regs.spsrEL2)
        vcpu.storeMemory(2) { ctx.pc = pc; ctx.pstate = pstate }
    }

    @inline(__always)
    static func restoreReturnState(_ vcpu: VCPU, from ctx: inout CPUContext, viaEL1: Bool = false) {
        let cpu = vcpu.cpu
        let (pc, pstate) = vcpu.loadMemory(2) { (ctx.pc, ctx.pstate) }
        if viaEL1 {
            cpu.write(vcpu.regs.elrEL1, pc)
            cpu.write(vcpu.regs.spsrEL1, pstate)
        } else {
            cpu.write(vcpu.regs.elrEL2, pc)
            cpu.write(vcpu.regs.spsrEL2, pstate)
        }
    }
}
