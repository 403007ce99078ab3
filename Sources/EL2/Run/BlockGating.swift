import Unicorn

/// When the block hook's Swift slow path must run next: at the instruction
/// limit, the virtual-time limit, the next timer deadline or the end of the
/// scheduler's slice (one instruction is one cycle), and at least every 4096
/// instructions so the host-time limit is checked. Between those, blocks are
/// only counted, in C.
extension Processor {
    @inlinable @inline(__always)
    func syncClock() {
        guard let gate else { return }
        // Compared in bytes, so the common case (no change) takes no shift.
        let n = gate.instructionBytes
        if n != syncedInstructionBytes {
            storedClock.retire(instructions: (n >> 2) &- (syncedInstructionBytes >> 2))
            syncedInstructionBytes = n
        }
    }

    /// The deferred case inline: an exit's clock advance asks while its EL2 software runs.
    @inline(__always)
    func updateGate() {
        // An exit changes the clock, the interrupt lines and limits in turn: the gate is set once, after.
        if gateDeferred && gate != nil { gateStale = true; return }
        refreshGate()
    }

    @inline(never)
    private func refreshGate() {
        guard let gate else { return }
        gateStale = false
        syncClock()
        var distance = instructionsToNextTarget(atMost: 4096)
        // A polling probe needs the very next block start (PollingLoop.swift).
        if polling.probe != .max { distance = min(distance, 1) } else if polling.sampleSoon { distance = min(distance, 256) }
        gate.set(stopPending: stopReason != nil || parked, threshold: storedClock.instructions &+ distance)
    }

    /// Instructions (one cycle each) until the first of the instruction limit,
    /// the next timer deadline, the virtual-time limit and the `run(until:)` bound, or
    /// `atMost` if that is nearer. The clock must be synced.
    @inline(__always)
    func instructionsToNextTarget(atMost cap: UInt64) -> UInt64 {
        let instructions = storedClock.instructions, cycles = storedClock.cycles
        var distance = cap
        if maxInstructions != .max { distance = min(distance, maxInstructions > instructions ? maxInstructions - instructions : 0) }
        // No array here: this runs after every exit.
        func limit(_ t: UInt64) { if t != .max { distance = min(distance, t > cycles ? t - cycles : 0) } }
        limit(interruptDeadline)
        limit(maxCycles)
        limit(runUntil)
        return distance
    }
}
