import AArch64

/// Spin-waits, fast-forwarded on virtual time.
///
/// Guest time is virtual, one cycle per instruction, so a guest that waits
/// by polling (a delay loop on CNTVCT, a loop on ISTATUS, a loop of YIELD
/// on a flag an interrupt sets) runs every cycle of the wait as
/// instructions, with a hook call per poll: kvm-unit-tests' timer test
/// waits seconds in `mdelay`, minutes of host time. A host may deschedule
/// a spinning vCPU at any time while the counter runs on; the model does
/// that, deterministically: when a timer register is read or a YIELD (the
/// architecture's "I am spinning" hint) executes again at the same
/// instruction (or the other of a pair) within `window` instructions with
/// no exit between, `streakBeforeSkipping` times in a row, each further
/// poll first moves virtual time on by an eighth of the time spun so far
/// (1,000 cycles to 1 ms), never past the next timer event (an interrupt or
/// an ISTATUS change), an arriving physical interrupt, the scheduler's
/// slice or the run's limit: what the guest waits for is seen exactly when
/// it is due, and a delay loop overshoots by at most an eighth.
struct SpinWait {
    var enabled = true
    /// The last two instructions that polled.
    var pcs: (UInt64, UInt64) = (.max, .max)
    /// Instructions and exit cycles (cycles - instructions) at the last poll.
    var instructions: UInt64 = 0
    var exitCycles: UInt64 = 0
    var streak = 0
    /// Virtual time when the streak began.
    var start: UInt64 = 0

    static let window: UInt64 = 32
    static let streakBeforeSkipping = 16
    static let minSkip: UInt64 = 1_000
    static let maxSkip: UInt64 = 2_000_000
}

extension Processor {
    /// Fast-forward spin-waits (on by default).
    public var fastForwardsSpinWaits: Bool {
        get { spinWait.enabled }
        set { spinWait.enabled = newValue }
    }

    /// The guest polls at `pc`: a timer register read (before it is served) or a YIELD.
    func spinWaitPoll(at pc: UInt64) {
        guard spinWait.enabled else { return }
        var s = spinWait
        var c = clock
        let polling = c.instructions &- s.instructions <= SpinWait.window && c.cycles &- c.instructions == s.exitCycles
            && (pc == s.pcs.0 || pc == s.pcs.1)
        if polling { s.streak += 1 } else { s.streak = 0; s.start = c.cycles }
        if pc != s.pcs.0 { s.pcs = (pc, s.pcs.0) }
        if s.streak >= SpinWait.streakBeforeSkipping {
            let horizon = min(interruptDeadline, runUntil, maxCycles, timer.nextConditionMet(after: c.cycles, clock: c, cntvoff: el2.cntvoff) ?? .max)
            let skip = min(max((c.cycles &- s.start) / 8, SpinWait.minSkip), SpinWait.maxSkip)
            if horizon > c.cycles {
                clock.advance(cycles: min(skip, horizon - c.cycles))
                c = clock
            }
        }
        s.instructions = c.instructions
        s.exitCycles = c.cycles &- c.instructions
        spinWait = s
    }
}
