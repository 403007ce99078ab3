import AArch64
import Unicorn

/// A debugger's view of the guest (the GDB stub): its EL1 registers and
/// memory, read and written without counting (a debugger is not an EL2
/// operation the ledger prices), and a hook before every guest instruction.
extension Processor {
    /// Debug register numbers in GDB's AArch64 core order: x0...x30, sp, pc, cpsr.
    public static let debugSP = 31, debugPC = 32, debugCPSR = 33

    public func debugRegister(_ n: Int) -> UInt64 {
        switch n {
        case 0...30: return engine.read(.x(n))
        case Self.debugSP: return syncedEngine.read(.sp)
        case Self.debugPC: return engine.read(.pc)
        case Self.debugCPSR: return recordedSPSR(ProcessorState(raw: engine.read(.pstate))) & 0xFFFF_FFFF  // EL2h for a guest's own EL2 code
        default: return 0
        }
    }

    /// Writes a register; cpsr keeps the mode and EL (a debugger cannot move the guest to EL2).
    @discardableResult
    public func setDebugRegister(_ n: Int, _ v: UInt64) -> Bool {
        switch n {
        case 0...30: gprsWillChange(); engine.write(.x(n), v)
        case Self.debugSP: syncedEngine.write(.sp, v); known.el1Mask &= ~KnownRegisters.spMask
        case Self.debugPC: engine.write(.pc, v)
        case Self.debugCPSR:
            let old = engine.read(.pstate)
            engine.write(.pstate, (v & 0xF000_03C0) | (old & 0x1F))
        default: return false
        }
        return true
    }

    /// FPSR and FPCR (32 bits each).
    public var debugFPSR: UInt64 { engine.read(.fpsr) & 0xFFFF_FFFF }
    public var debugFPCR: UInt64 { engine.read(.fpcr) & 0xFFFF_FFFF }
    public func setDebugFPStatus(fpsr: UInt64? = nil, fpcr: UInt64? = nil) {
        if let fpsr { engine.write(.fpsr, fpsr) }
        if let fpcr { engine.write(.fpcr, fpcr) }
    }

    /// Vn, the 128-bit SIMD&FP register, as (low, high) halves.
    public func debugVector(_ n: Int) -> (low: UInt64, high: UInt64) { engine.readVector(n) }
    public func setDebugVector(_ n: Int, low: UInt64, high: UInt64) { engine.writeVector(n, low: low, high: high) }

    /// The system registers a debugger is shown: the EL1 context and ID
    /// registers, the timers, the EL2 register file and the vGIC's ICH_*
    /// (no ICC_*: reading ICC_IAR1_EL1 would acknowledge an interrupt, so
    /// `debugSystemRegister` never reaches hardwareRead's CPU-interface path).
    public static let debugSystemRegisters: [SystemRegister] = SystemRegister.el1Context + [
        .SP_EL0, .MDSCR_EL1, .TPIDR_EL0, .TPIDRRO_EL0, .CSSELR_EL1, .MIDR_EL1, .MPIDR_EL1,
        .ID_AA64PFR0_EL1, .ID_AA64DFR0_EL1, .ID_AA64ISAR0_EL1, .ID_AA64MMFR0_EL1, .ID_AA64MMFR1_EL1, .CTR_EL0,
        .CNTFRQ_EL0, .CNTVCT_EL0, .CNTPCT_EL0, .CNTV_CTL_EL0, .CNTV_CVAL_EL0, .CNTP_CTL_EL0, .CNTP_CVAL_EL0,
    ] + EL2Registers.registers + [
        .CNTHP_CTL_EL2, .CNTHP_CVAL_EL2, .ICH_HCR_EL2, .ICH_VTR_EL2, .ICH_MISR_EL2, .ICH_ELRSR_EL2, .ICH_VMCR_EL2,
    ] + (0..<4).map(SystemRegister.ICH_LR_EL2)

    /// A system register as the hardware holds it now, uncounted: EL2's from
    /// the EL2 register file, the timers' and ICH_*'s from their models, the
    /// rest from the CPU. No E2H redirection: the debugger names the register it means.
    public func debugSystemRegister(_ r: SystemRegister) -> UInt64? {
        // A guest's own VHE EL2 code runs on Unicorn's EL1, whose registers then hold EL2's;
        // the real EL1 registers are the ones it reaches as *_EL12.
        if let g = ownEL2, g.el1IsEL2, el2.hcr.contains(.E2H) {
            if let el1 = EL2Registers.redirects.first(where: { $0.1 == r })?.0 { return syncedEngine.read(SystemRegisterID(el1)) }
            if EL2Registers.redirects.contains(where: { $0.0 == r }) { return g.el1Registers[r] ?? 0 }
        }
        if let v = el2[r] { return v }
        if r == .SP_EL0 || r == .SP_EL1 { return readBankedSP(r) }
        // What EL1 code reads of the registers the hardware serves (the virtualized
        // MIDR/MPIDR, timers, debug state); a guest's own EL2 code reads the PE's IDs.
        let ownID = runsGuestEL2Code && (r == .MIDR_EL1 || r == .MPIDR_EL1)
        if !ownID, let v = hardwareRead(r) { return v }
        if r.isEL2 && r.crn == 14 { return timer.read(r, clock: clock, cntvoff: el2.cntvoff) }   // CNTHP_*
        if r.isEL2 && r.crn == 12 { return vgic.read(r) }                                        // ICH_*
        return syncedEngine.read(SystemRegisterID(r))
    }

    /// The IPA a guest virtual address reaches through the guest's stage 1, if it does.
    public func debugTranslate(virtual va: UInt64) -> UInt64? {
        let saved = countingEnabled
        countingEnabled = false
        defer { countingEnabled = saved }
        guard case (.ipa(let ipa), _) = stage1Translate(va, .read, fillTables: false) else { return nil }
        return ipa
    }

    /// Calls `body` with the PC before each guest instruction (only while a
    /// debugger is attached: it makes every instruction a callback). Install
    /// it before the first run: code translated earlier would not call it.
    public func onEachInstruction(_ body: @escaping (UInt64) -> Void) throws {
        fastForwardsPollingLoops = false   // the debugger sees every instruction
        try engine.onCode(begin: 1, end: 0) { address, _ in body(address) }
    }
}
