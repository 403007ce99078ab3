import AArch64
import Foundation
import Unicorn

extension Processor {
    /// Why `run(until:)` returned.
    public enum RunResult: Equatable, Sendable {
        /// The run is over (the guest exited, a limit, an error).
        case stopped(StopReason)
        /// Virtual time reached the `run(until:)` bound (or `yieldPE`); the PE can continue later.
        case reachedTime
        /// An untrapped WFI with nothing pending: the PE waits in low-power
        /// state for an interrupt (`wakeFromWFI`); `nextPhysicalEvent` says when one comes.
        case waitingForInterrupt(pc: UInt64)
        /// The EL2 software blocked the vCPU without returning to it (`park`).
        case parked
    }

    /// Runs the guest until it exits, a limit is reached or an error stops it.
    public func run() -> StopReason {
        while true {
            switch run(until: .max) {
            case .stopped(let r): return r
            case .reachedTime: continue
            case .parked: return .error("the EL2 software blocked the only vCPU with nothing to resume it")
            case .waitingForInterrupt(let pc):
                guard let wake = nextPhysicalEvent else {
                    requestStop(.deadlock(pc: pc))
                    return stopReason ?? .deadlock(pc: pc)
                }
                wakeFromWFI(at: wake.time, reason: wake.what)
            }
        }
    }

    /// Runs the guest until virtual time reaches `cycles` (a scheduler's slice),
    /// it waits for an interrupt, the EL2 software parks it, or the run ends.
    /// Exits are handled in Unicorn's hooks; `uc_emu_start` returns only for
    /// WFI (Unicorn's behaviour) and stops.
    public func run(until cycles: UInt64) -> RunResult {
        runUntil = cycles
        runUntilReached = false
        var idleReturns = 0
        while stopReason == nil {
            if parked { return .parked }
            if clock.cycles >= runUntil { return .reachedTime }
            let pc = engine.read(.pc)
            hookRan()
            updateGate()
            updateSystemAccessFilter()
            faults.guestEL2RegimeFault = nil
            flushEL1()
            do {
                try engine.start(at: pc)
            } catch {
                // A stage-2 or stage-1 abort found in a memory hook stopped Unicorn at the access.
                if stopReason == nil, takePendingAbort() { idleReturns = 0; continue }
                // Unless a code hook had stopped Unicorn for a world switch: then the fill
                // was for the code past the ERET, which never runs at EL2.
                if stopReason == nil, let fetch = faults.guestEL2RegimeFault {
                    if ownEL2?.regime.pending == nil { stage1Fault(isInstruction: fetch, pc: engine.read(.pc)); idleReturns = 0; continue }
                } else if stopReason == nil, faults.retriesStoppedAccess {
                    faults.retriesStoppedAccess = false; continue
                } else if stopReason == nil {
                    requestStop(.error("the CPU stopped at pc 0x\(String(engine.read(.pc), radix: 16)): \(error)"))
                }
            }
            // A trap to the guest's own EL2 a code hook stopped at (GuestEL2WorldSwitch.swift).
            if stopReason == nil, takePendingGuestEL2Switch() { idleReturns = 0; continue }
            if debug.flushPending {
                debug.flushPending = false
                engine.flushTranslations()
                if stopReason == nil && !parked && !runUntilReached { continue }
            }
            if stopReason != nil { break }
            if parked { return .parked }
            if runUntilReached { runUntilReached = false; return .reachedTime }
            let now = engine.read(.pc)
            if let w = instructionWord(at: now &- 4), Instruction(w) == .wfi {
                idleReturns = 0
                if let pc = waitForInterrupt(at: now &- 4) { return .waitingForInterrupt(pc: pc) }
            } else {
                idleReturns += 1
                if idleReturns > 1000 { requestStop(.error("the CPU keeps stopping at pc 0x\(String(now, radix: 16))")) }
            }
        }
        return .stopped(stopReason ?? .error("stopped"))
    }

    /// WFI: trapped to EL2 with TWI; otherwise completes at once if an
    /// interrupt is pending, else the PE waits (returns the WFI's PC).
    func waitForInterrupt(at pc: UInt64) -> UInt64? {
        if el2.hcr.contains(.TWI) && !runsGuestEL2Code {
            takeSynchronousToEL2(.wfx(isWFE: false), elr: pc, resumePC: pc &+ 4)
            return nil
        }
        if virtualIRQLine || virtualFIQLine || virtualSErrorLine {
            // WFI wakes on a pending interrupt even when PSTATE masks it (Arm ARM D1.6.2).
            onEvent?(.idle(pc: pc, cycles: 0, woken: "interrupt already pending"))
            deliverPendingInterrupts(returnPC: pc &+ 4)
            return nil
        }
        if physicalInterruptPending {
            onEvent?(.idle(pc: pc, cycles: 0, woken: "physical interrupt pending"))
            physicalInterruptCheck()
            return nil
        }
        waitingPC = pc
        return pc
    }

    /// Ends an untrapped WFI at virtual time `cycles` (never earlier than
    /// now): idle time is traced, then the interrupt that woke the PE is
    /// taken (a physical one exits to EL2 first).
    public func wakeFromWFI(at cycles: UInt64, reason: String) {
        let pc = waitingPC ?? (engine.read(.pc) &- 4)
        waitingPC = nil
        let start = clock.cycles
        advanceClock(to: cycles)
        onEvent?(.idle(pc: pc, cycles: clock.cycles &- start, woken: reason))
        if physicalInterruptPending {
            physicalInterruptCheck()
        } else {
            deliverPendingInterrupts(returnPC: pc &+ 4)
        }
    }

    /// The EL2 software blocks the vCPU: it leaves the vector without ERET and
    /// the PE stops running the guest until `unpark()` and an `eret()`.
    public func park() {
        parked = true
        engine.stop()
    }

    /// The EL2 software is about to resume a parked vCPU (it ends with `eret()`).
    public func unpark() {
        parked = false
    }

    @inlinable public var isParked: Bool { parked }
    /// Why the run ended, once it has.
    public var finalStopReason: StopReason? { stopReason }
    /// The PC of the untrapped WFI the PE idles in, if it does.
    public var waitingAt: UInt64? { waitingPC }

    /// Ends `run(until:)` at the next block boundary (another PE must run first).
    public func yieldPE() {
        runUntil = 0
    }

    /// Advances virtual time by the modelled cycles of an exit (the ledger's price).
    public func advanceClock(cycles: UInt64) {
        // The clock synced once, as its setter would leave it (`clock`).
        syncClock()
        storedClock.advance(cycles: cycles)
        updateGate()
        // Exits advance time too: a guest that only exits still meets the limit.
        if storedClock.cycles >= maxCycles { requestStop(.virtualTimeLimit(maxCycles)) }
    }

    /// Advances virtual time to `cycles` (a blocked vCPU waking later).
    public func advanceClock(to cycles: UInt64) {
        if cycles > clock.cycles { clock.advance(cycles: cycles - clock.cycles) }
    }

    /// The cycle at which a physical interrupt (a timer, an SGI) next reaches this PE, if ever.
    public var timerDeadline: UInt64? {
        if interruptLinesStale { recomputeInterruptLines() }
        return interruptDeadline == .max ? nil : interruptDeadline
    }

    /// Is the PE idle in an untrapped WFI?
    public var isWaitingForInterrupt: Bool { waitingPC != nil }
}
