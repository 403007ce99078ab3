import AArch64
import Unicorn

/// CPTR_EL2.TFP of non-VHE EL2 code that owns EL2 (`--entry-el 2`): FP/SIMD
/// accesses at EL0, EL1 and EL2 itself are trapped to EL2 with EC 0x07
/// (CPACR_EL1's own trap, to EL1, goes first). Unicorn has one CPACR_EL1: its
/// FPEN is cleared while TFP is set, so that each such instruction UNDEFs
/// (`guestFPAccessTrap` sorts it out); the guest's own CPACR_EL1 stays in
/// `GuestOwnedEL2.el1Registers` and its MRS/MSR reach it there.
/// CPTR_EL2.TTA has nothing to trap: the CPU has no trace System registers
/// (ID_AA64DFR0_EL1.TraceVer = 0, as Cortex-A57's), so they stay UNDEFINED at EL1.
/// TCPAC is a trap rule like HCR_EL2's (`trapsToEL2`).
extension Processor {
    /// TFP in force: non-VHE (with E2H, CPTR_EL2 has CPACR's layout, not modelled here).
    var guestFPTrapped: Bool { ownEL2 != nil && !el2.hcr.contains(.E2H) && el2.cptr & CPTR.TFP.rawValue != 0 }

    /// CPACR_EL1 as Unicorn runs it for the guest's EL1/EL0: its own, FPEN cleared under TFP.
    func loadGuestCPACR(_ g: GuestOwnedEL2) {
        let own = g.el1Registers[.CPACR_EL1] ?? 0
        g.regime.fpTrapped = guestFPTrapped
        engine.write(SystemRegisterID(.CPACR_EL1), g.regime.fpTrapped ? own & ~CPACR.FPEN : own)
    }

    /// CPACR_EL1 as Unicorn runs it for EL2 code: FP/SIMD open unless TFP.
    var el2CodeCPACR: UInt64 { guestFPTrapped ? 0 : CPACR.FPEN }

    /// EL2 code wrote CPTR_EL2: its own FP access changes with TFP at once.
    func guestCPTRChanged() {
        guard runsGuestNonVHEEL2Regime else { return }
        engine.write(SystemRegisterID(.CPACR_EL1), el2CodeCPACR)
        forgetEL1(.CPACR_EL1)
        _ = engine.rebuildCachedFlags()
    }

    /// An MRS/MSR of CPACR_EL1 by the guest's EL1 while Unicorn runs it with FPEN
    /// cleared: served from its own value. Nil when not that case.
    func guestCPACRAccess(_ g: GuestOwnedEL2, _ r: SystemRegister, isRead: Bool, _ v: UInt64, el: Int,
                          _ done: (UInt64?, Bool) -> Bool) -> Bool? {
        guard r == .CPACR_EL1, !g.el1IsEL2, g.regime.fpTrapped, el == 1 else { return nil }
        if isRead { return done(g.el1Registers[.CPACR_EL1] ?? 0, false) }
        g.el1Registers[.CPACR_EL1] = v
        loadGuestCPACR(g)
        _ = engine.rebuildCachedFlags()
        return done(nil, false)
    }

    /// An UNDEF Unicorn raised at `pc`: if it is an FP/SIMD access that TFP
    /// made trap, the exception the architecture takes instead (EC 0x07): to
    /// EL1 when the guest's own CPACR_EL1.FPEN traps it there, else to its EL2.
    func guestFPAccessTrap(_ g: GuestOwnedEL2, word: UInt32, pc: UInt64) -> Bool {
        guard guestFPTrapped, Instruction.accessesFPSIMD(word) else { return false }
        if g.el1IsEL2 {
            enterEL1(kind: 0, esr: .fpAccess, returnPC: pc)   // EL2 code's own: at its current-EL vector
            return true
        }
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        let fpen = (g.el1Registers[.CPACR_EL1] ?? 0) >> 20 & 3
        if fpen == 0 || fpen == 2 || (fpen == 1 && el == 0) {
            enterEL1(kind: 0, esr: .fpAccess, returnPC: pc)
        } else {
            takeToGuestEL2(g, offset: 0x400, esr: .fpAccess, elr: pc)
        }
        return true
    }
}
