import AArch64
import Foundation
import Unicorn

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Processor {
    /// Sets a host wall-clock limit for `run()`.
    public func setTimeout(seconds: Double) {
        hostTimeoutSeconds = seconds
        hostDeadline = seconds > 0 ? monotonicNanoseconds() &+ UInt64(seconds * 1e9) : .max
    }

    /// Runs the guest until it exits, a limit is reached or an error stops it.
    /// Exits are handled in Unicorn's hooks; `uc_emu_start` returns only for
    /// WFI (Unicorn's behaviour) and stops.
    public func run() -> StopReason {
        var idleReturns = 0
        while stopReason == nil {
            let pc = engine.read(.pc)
            do {
                try engine.start(at: pc)
            } catch {
                // A stage-2 or stage-1 abort found in a memory hook stopped Unicorn at the access.
                if stopReason == nil, takePendingAbort() { idleReturns = 0; continue }
                if stopReason == nil {
                    requestStop(.error("the CPU stopped at pc 0x\(String(engine.read(.pc), radix: 16)): \(error)"))
                }
            }
            if stopReason != nil { break }
            let now = engine.read(.pc)
            if let w = engine.readWord(address: now &- 4), Instruction(w) == .wfi {
                idleReturns = 0
                waitForInterrupt(at: now &- 4)
            } else {
                idleReturns += 1
                if idleReturns > 1000 { requestStop(.error("the CPU keeps stopping at pc 0x\(String(now, radix: 16))")) }
            }
        }
        return stopReason ?? .error("stopped")
    }

    /// WFI: trapped to EL2 with TWI; otherwise the vCPU idles until the next
    /// event on virtual time, or the run ends if nothing can ever wake it.
    func waitForInterrupt(at pc: UInt64) {
        if el2.hcr.contains(.TWI) {
            takeSynchronousToEL2(.wfx(isWFE: false), elr: pc, resumePC: pc &+ 4)
            return
        }
        if virtualIRQLine || virtualFIQLine {
            deliverPendingInterrupts(returnPC: pc &+ 4)
            return
        }
        let softwareEvent = software?.nextEvent(self) ?? .max
        let wake = min(nextDeadline, softwareEvent)
        guard wake != .max else {
            requestStop(.deadlock(pc: pc))
            return
        }
        let start = clock.cycles
        if wake > start { clock.advance(cycles: wake - start) }
        onEvent?(.idle(pc: pc, cycles: clock.cycles &- start, woken: wake == nextDeadline ? "timer" : "event"))
        if wake == nextDeadline { timerDeadlineReached() } else { deliverPendingInterrupts(returnPC: pc &+ 4) }
    }

    /// Advances virtual time by the modelled cycles of an exit (the ledger's price).
    public func advanceClock(cycles: UInt64) {
        clock.advance(cycles: cycles)
        // Exits advance time too: a guest that only exits still meets the limit.
        if clock.cycles >= maxCycles { requestStop(.virtualTimeLimit(maxCycles)) }
    }

    /// Advances virtual time to `cycles` (a blocked vCPU waking later).
    public func advanceClock(to cycles: UInt64) {
        if cycles > clock.cycles { clock.advance(cycles: cycles - clock.cycles) }
    }

    /// The cycle at which the guest's timer next fires, if armed.
    public var timerDeadline: UInt64? { nextDeadline == .max ? nil : nextDeadline }
}
