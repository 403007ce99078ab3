import AArch64
import Unicorn

/// CPTR_EL2.TFP of non-VHE EL2 code that owns EL2 (`--entry-el 2`): FP/SIMD
/// accesses at EL0, EL1 and EL2 itself are trapped to EL2 with EC 0x07, after
/// CPACR_EL1.FPEN's own trap of EL0/EL1 to EL1. Unicorn never traps FP/SIMD
/// (its fp_exception_el is a stub returning 0), so once the guest's EL2 has
/// set TFP, every FP/SIMD instruction gets a code hook (`instrument`), and
/// the translations made before are dropped to be hooked again.
/// CPTR_EL2.TTA has nothing to trap: the CPU has no trace System registers
/// (ID_AA64DFR0_EL1.TraceVer = 0, as Cortex-A57's), so they stay UNDEFINED.
/// TCPAC is a trap rule like HCR_EL2's (`trapsToEL2`).
extension Processor {
    /// CPTR_EL2's FP/SIMD trap in force: TFP without E2H; with E2H (CPACR's layout,
    /// TGE clear) FPEN bit 20 clear traps its guest's EL1 and EL0 (`el2.cptr` holds
    /// it while its guest runs). EL2 code's own FP under E2H's FPEN is not checked.
    var guestFPTrapped: Bool {
        guard ownEL2 != nil else { return false }
        if el2.hcr.contains(.E2H) { return !el2.hcr.contains(.TGE) && el2.cptr >> 20 & 1 == 0 }
        return el2.cptr & CPTR.TFP.rawValue != 0
    }

    /// EL2 code wrote CPTR_EL2: the first TFP has the run loop drop Unicorn's translations
    /// (its blocks are instrumented again, now with their FP/SIMD instructions).
    func guestCPTRChanged(_ g: GuestOwnedEL2) {
        guard guestFPTrapped, !g.regime.fpSitesHooked else { return }
        hookGuestFPSites(g)
        engine.stop()
    }

    /// From the first FP/SIMD trap on: drop Unicorn's translations so their blocks are
    /// instrumented again, now with their FP/SIMD instructions (`guestFPAccessTrap`).
    func hookGuestFPSites(_ g: GuestOwnedEL2) {
        guard !g.regime.fpSitesHooked else { return }
        g.regime.fpSitesHooked = true
        instrumentation.scannedBlocks.removeAll()
        debug.flushPending = true
    }

    /// A hooked instruction: if it accesses FP/SIMD under TFP, the exception
    /// the architecture takes: to EL1 when its CPACR_EL1.FPEN traps it there
    /// (the guest's EL1/EL0; Unicorn's CPACR_EL1 is its own), to EL2 otherwise.
    /// True when taken.
    func guestFPAccessTrap(_ g: GuestOwnedEL2, _ insn: Instruction, pc: UInt64) -> Bool {
        guard g.regime.fpSitesHooked, guestFPTrapped, insn.accessesFPSIMD else { return false }
        if g.el1IsEL2 {
            if el2.hcr.contains(.E2H) { return false }
            enterEL1(kind: 0, esr: .fpAccess, returnPC: pc)   // EL2 code's own: its current-EL vector
            return true
        }
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        let fpen = (syncedEngine.read(SystemRegisterID(.CPACR_EL1)) ?? 0) >> 20 & 3
        if fpen == 0 || fpen == 2 || (fpen == 1 && el == 0) {
            enterEL1(kind: 0, esr: .fpAccess, returnPC: pc)
            return true
        }
        // A world switch: performed by the run loop (`takePendingGuestEL2Switch`).
        g.regime.pending = .trap(.fpAccess, elr: pc)
        engine.stop()
        return true
    }
}
