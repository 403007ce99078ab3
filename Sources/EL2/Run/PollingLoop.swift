import AArch64

/// Polling loops, fast-forwarded exactly.
///
/// A vCPU that waits for another by spinning on a flag (`while (!flag) {}`)
/// runs every poll as instructions until the scheduler's slice ends: with
/// one vCPU running at a time, the flag cannot change before then. When the
/// block gate's slow path comes at a block (about every 4,096 instructions,
/// 256 after a hook), the model probes: if the very next block start is the
/// same block, with no hook between, it is a loop of one block; if that
/// block only loads (no writeback, no exclusives), compares, branches and
/// waits on barriers, and reads no register before writing it, every pass
/// loads the same values and leaves the same registers and flags, so it
/// would go round until the next target (timer deadline, slice end, limit).
/// The model advances the instruction count to the block start at which
/// that target is reached, exactly as spinning would: same registers, memory
/// and virtual time, so traces are byte for byte those of spinning; only
/// host time is saved. A guest with no target ahead spins on, into `--timeout`.
extension Processor {
    /// A hook ran (the model acted on the guest): a probe in flight is void,
    /// and the gate samples soon (a spin often starts right after an exit).
    /// Called on every hook, so it only sets two flags (and counts toward
    /// the host check: a guest that only exits never reaches the gate's slow path).
    func hookRan() {
        polling.hookRan = true
        polling.sampleSoon = true
        countHostCheck()
    }

    /// In the block gate's slow path, before the block is counted.
    func pollingProbe(at address: UInt64, _ size: UInt32) {
        guard fastForwardsPollingLoops, let gate else { return }
        if polling.probe != .max {
            // The probe's own slow call: it never starts another probe (a loop with a
            // hook in it would otherwise make every block start a slow call).
            let probed = polling.probe
            polling.probe = .max
            if address == probed && !polling.hookRan { pollingLoopRepeated(address, size) }
        } else if gate.instructions &+ UInt64(size >> 2) >= gate.threshold {
            polling.sampleSoon = false
            polling.hookRan = false
            if address != polling.rejected { polling.probe = address }   // updateGate makes the next block start come here
        }
    }

    /// The block at `address` started twice in a row with no hook between.
    func pollingLoopRepeated(_ address: UInt64, _ size: UInt32) {
        guard let gate else { return }
        let l = UInt64(size >> 2)
        guard l > 0, isPollingLoop(address, size) else {
            polling.rejected = address
            return
        }
        syncClock()
        let distance = instructionsToNextTarget(atMost: .max)
        guard distance != .max else { return }   // nothing would ever end the spin: let it run into the host timeout
        // Block starts until a target is due, this one included (the slow path's checks come after it is counted).
        let starts = (distance &+ l &- 1) / l
        guard starts > 1 else { return }
        gate.instructions &+= (starts - 1) &* l
        pollingInstructionsSkipped &+= (starts - 1) &* l
    }

    /// Does the block at `address` only poll: loads without writeback,
    /// compares, branches, barriers, with each register it writes written
    /// before it is read (so every pass computes the same values)?
    func isPollingLoop(_ address: UInt64, _ size: UInt32) -> Bool {
        guard size >= 4, size <= 256 else { return false }
        var written: UInt64 = 0, readFirst: UInt64 = 0   // bit n: Xn; bit 32: NZCV
        var at = address
        while at < address &+ UInt64(size) {
            guard instrumentation.sites[at] == nil, let w = instructionWord(at: at), let e = PollingLoopEffect(w) else { return false }
            readFirst |= e.reads & ~written
            written |= e.writes
            at &+= 4
        }
        return readFirst & written == 0
    }
}

/// The fast-forward's look at the block now running.
struct PollingProbe {
    /// The block whose start must come again at the next block start (a probe), or .max.
    var probe: UInt64 = .max
    /// The last block found not to poll (not probed again while it keeps coming).
    var rejected: UInt64 = .max
    /// A hook ran since the last sample: sample again soon.
    var sampleSoon = false
    /// A hook ran since the probe began: the probe proves nothing.
    var hookRan = false
}

/// What one instruction of a polling loop reads and writes (bit n: Xn, bit 32:
/// NZCV; register 31 is SP or ZR, which no such instruction writes), or nil
/// for an instruction a polling loop may not contain.
struct PollingLoopEffect {
    var reads: UInt64 = 0
    var writes: UInt64 = 0

    static let nzcv: UInt64 = 1 << 32
    static func reg(_ n: UInt32) -> UInt64 { n == 31 ? 0 : 1 << UInt64(n) }

    init?(_ w: UInt32) {
        let rd = w & 31, rn = (w >> 5) & 31, rm = (w >> 16) & 31
        switch w {
        case 0xD503_201F:                                          // NOP
            break
        case _ where w & 0xFFFF_F01F == 0xD503_301F && (4...6).contains((w >> 5) & 7):   // DSB, DMB, ISB
            break
        case _ where w & 0x3F80_0000 == 0x3100_0000:               // ADDS/SUBS (immediate): CMN/CMP
            reads = Self.reg(rn); writes = Self.reg(rd) | Self.nzcv
        case _ where w & 0x3F20_0000 == 0x2B00_0000:               // ADDS/SUBS (shifted register)
            reads = Self.reg(rn) | Self.reg(rm); writes = Self.reg(rd) | Self.nzcv
        case _ where w & 0x7F80_0000 == 0x7200_0000:               // ANDS (immediate): TST
            reads = Self.reg(rn); writes = Self.reg(rd) | Self.nzcv
        case _ where w & 0x7F20_0000 == 0x6A00_0000:               // ANDS (shifted register)
            reads = Self.reg(rn) | Self.reg(rm); writes = Self.reg(rd) | Self.nzcv
        case _ where w & 0xFF00_0010 == 0x5400_0000:               // B.cond
            reads = Self.nzcv
        case _ where w & 0x7C00_0000 == 0x3400_0000:               // CBZ/CBNZ, TBZ/TBNZ
            reads = Self.reg(rd)
        case _ where w & 0xFC00_0000 == 0x1400_0000:               // B
            break
        default:
            guard let ls = LoadStore(w), ls.isLoad, !ls.writesBack, !ls.isExclusive, !ls.isVector else { return nil }
            reads = Self.reg(UInt32(ls.rn))
            if case .register(let m, _, _) = ls.addressing { reads |= Self.reg(UInt32(m)) }
            writes = Self.reg(UInt32(ls.rt)) | (ls.rt2.map { Self.reg(UInt32($0)) } ?? 0)
        }
    }
}
