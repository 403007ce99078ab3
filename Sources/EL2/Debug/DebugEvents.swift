import AArch64
import Unicorn

/// Breakpoint, watchpoint and software-step debug events (Arm ARM D2.8-D2.10,
/// D2.12), raised by the model from Unicorn code hooks placed only while
/// something is armed: a hook on each armed breakpoint's address, and one on
/// every instruction while a watchpoint is armed or MDSCR_EL1.SS is set. With
/// nothing armed there is no hook at all. Each event is taken before its
/// instruction executes (a watchpointed store does not happen), to EL1 with
/// the syndromes QEMU reports, or to EL2 when MDCR_EL2.TDE or HCR_EL2.TGE
/// routes debug exceptions there.
extension Processor {
    /// Places and removes the hooks for what the debug registers now arm.
    func armDebugEvents() {
        let unlocked = !debug.osLock && !debug.doubleLock
        let mde = unlocked && debug.mdscr & SelfHostedDebug.mde != 0
        // The common case, nothing armed before or after (a world switch's MDSCR_EL1 write): no work.
        if !mde && !(unlocked && debug.mdscr & SelfHostedDebug.ss != 0)
            && debug.breakpointHooks.isEmpty && debug.everyInstructionHook == nil { return }
        var addresses = Set<UInt64>()
        var watching = false
        if mde {
            for n in 0..<16 where addressBreakpointEnabled(n) { addresses.insert(debugBVR(n) & ~3) }
            watching = (0..<16).contains { debugWCR($0) & 1 != 0 }
        }
        for (a, h) in debug.breakpointHooks where !addresses.contains(a) {
            engine.removeHook(h)
            debug.breakpointHooks[a] = nil
            engine.removeTranslations(begin: a, end: a &+ 4)
        }
        for a in addresses where debug.breakpointHooks[a] == nil {
            if let h = try? engine.onCode(begin: a, end: a, { [unowned(unsafe) self] pc, _ in
                self.hookRan(); self.breakpointReached(pc)
            }) {
                debug.breakpointHooks[a] = h
                engine.removeTranslations(begin: a, end: a &+ 4)
            }
        }
        let everyInstruction = watching || unlocked && debug.mdscr & SelfHostedDebug.ss != 0
        if everyInstruction != (debug.everyInstructionHook != nil) {
            if let h = debug.everyInstructionHook {
                engine.removeHook(h)
                debug.everyInstructionHook = nil
            } else {
                debug.everyInstructionHook = try? engine.onCode(begin: 1, end: 0) { [unowned(unsafe) self] pc, _ in
                    self.hookRan(); self.debugInstruction(pc)
                }
            }
            // Code translated before the change misses (or still calls) the hook:
            // it is dropped once Unicorn has stopped (flushing the block that
            // runs now would pull the code from under it).
            debug.flushPending = true
            engine.stop()
        }
    }

    /// Are debug exceptions taken from code in this state (Arm ARM D2.4)?
    /// From a lower EL always; at the EL they target only with MDSCR_EL1.KDE and PSTATE.D clear.
    func debugExceptionsEnabled(_ pstate: ProcessorState) -> Bool {
        guard !debug.osLock, !debug.doubleLock else { return false }
        if debugRoutedToEL2 || pstate.exceptionLevel == 0 { return true }
        return debug.mdscr & SelfHostedDebug.kde != 0 && !pstate.daif.contains(.d)
    }

    var debugRoutedToEL2: Bool {
        ownEL2 == nil && (el2.mdcr & MDCR.TDE != 0 || el2.hcr.contains(.TGE))
    }

    /// Is breakpoint `n` enabled (DBGBCR.E) as an address match (BT = 0), the only kind modelled?
    private func addressBreakpointEnabled(_ n: Int) -> Bool {
        let bcr = debugBCR(n)
        return bcr & 1 != 0 && (bcr >> 20) & 0xF == 0
    }

    /// Does an enabled breakpoint or watchpoint's PMC/PAC field [2:1] select this EL?
    private func privilegeMatches(_ control: UInt64, el: Int) -> Bool {
        let pmc = (control >> 1) & 3
        return el == 0 ? pmc & 2 != 0 : pmc & 1 != 0
    }

    func breakpointReached(_ pc: UInt64) {
        guard stopReason == nil, debug.mdscr & SelfHostedDebug.mde != 0 else { return }
        let pstate = ProcessorState(raw: engine.read(.pstate))
        guard debugExceptionsEnabled(pstate) else { return }
        let el = pstate.exceptionLevel
        let hit = (0..<16).contains { n in
            addressBreakpointEnabled(n) && debugBVR(n) & ~3 == pc && privilegeMatches(debugBCR(n), el: el)
        }
        guard hit else { return }
        // ISS: IFSC 0x22 (debug exception).
        takeDebugException(lower: .breakpointLowerEL, current: .breakpointCurrentEL, iss: 0x22, pc: pc, el: el)
    }

    /// Before each instruction while a watchpoint is armed or software step
    /// is on: the step state machine, then the watchpoints.
    func debugInstruction(_ pc: UInt64) {
        guard stopReason == nil else { return }
        let pstate = ProcessorState(raw: engine.read(.pstate))
        let enabled = debugExceptionsEnabled(pstate)
        let el = pstate.exceptionLevel
        let word = instructionWord(at: pc)
        if debug.mdscr & SelfHostedDebug.ss != 0 && enabled {
            if !debug.pstateSS {
                // Active-pending: the step exception, before this instruction.
                // ISS: ISV [24] (an instruction was stepped), IFSC 0x22.
                let iss: UInt32 = (debug.stepped ? 1 << 24 : 0) | 0x22
                debug.stepped = false
                takeDebugException(lower: .softwareStepLowerEL, current: .softwareStepCurrentEL, iss: iss, pc: pc, el: el)
                return
            }
            // Active-not-pending: this instruction is the one stepped.
            debug.pstateSS = false
            debug.stepped = true
        }
        if let word, case .eret = Instruction(word) {
            // The guest's own ERET: PSTATE.SS from SPSR_EL1.SS.
            debug.pstateSS = (syncedEngine.read(SystemRegisterID(.SPSR_EL1)) ?? 0) & SelfHostedDebug.spsrSS != 0
            debug.stepped = false
        }
        guard enabled, debug.mdscr & SelfHostedDebug.mde != 0, let word, let ls = LoadStore(word) else { return }
        let va = ls.address(pc: pc, sp: engine.read(.sp)) { self.engine.read(.x($0)) }
        guard let far = watchpointHit(va, size: UInt64(ls.totalBytes), isLoad: ls.isLoad, el: el) else { return }
        // ISS: WnR [6], DFSC 0x22.
        takeDebugException(lower: .watchpointLowerEL, current: .watchpointCurrentEL,
                           iss: (ls.isLoad ? 0 : 1 << 6) | 0x22, pc: pc, el: el, far: far)
    }

    /// The address FAR reports if [va, va + size) touches a byte an enabled
    /// watchpoint watches (DBGWCR: E [0], PAC [2:1], LSC [4:3], BAS [12:5], MASK [28:24]).
    func watchpointHit(_ va: UInt64, size: UInt64, isLoad: Bool, el: Int) -> UInt64? {
        for n in 0..<16 {
            let wcr = debugWCR(n)
            guard wcr & 1 != 0, privilegeMatches(wcr, el: el), (wcr >> 3) & (isLoad ? 1 : 2) != 0 else { continue }
            let mask = (wcr >> 24) & 0x1F
            let start: UInt64, length: UInt64
            if mask != 0 {
                length = 1 << mask
                start = debugWVR(n) & ~(length - 1)
            } else {
                let bas = (wcr >> 5) & 0xFF
                guard bas != 0 else { continue }
                start = (debugWVR(n) & ~7) &+ UInt64(bas.trailingZeroBitCount)
                length = UInt64(64 - bas.leadingZeroBitCount - bas.trailingZeroBitCount)
            }
            if va < start &+ length && start < va &+ size { return max(va, start) }
        }
        return nil
    }

    /// A debug exception from code at `el`: to EL1 (or the guest's own EL2),
    /// or to el2emu's EL2 when routed there.
    private func takeDebugException(lower: ExceptionClass, current: ExceptionClass, iss: UInt32,
                                    pc: UInt64, el: Int, far: UInt64? = nil) {
        if debugRoutedToEL2 {
            takeSynchronousToEL2(ExceptionSyndrome(ec: lower, iss: iss), elr: pc, resumePC: pc, far: far)
        } else {
            enterEL1(kind: 0, esr: ExceptionSyndrome(ec: el == 0 ? lower : current, iss: iss), returnPC: pc, far: far)
        }
    }
}
