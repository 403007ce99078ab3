import Unicorn

/// x0...x30 as EL2 software saved them (the vector's 31 stores, KVM's
/// `ctxt->regs`). The save counts all 31 reads, but a value comes out of
/// Unicorn only when the software looks at it (`Processor.savedGPR`): a
/// hypercall reads x0-x3, not 31 registers. Until then its slot stays "in
/// the PE", where the save found it.
public struct SavedGPRs: Sendable {
    /// Inline: no uniqueness check or reference count when the exit reads or sets one.
    @usableFromInline var values = InlineArray<31, UInt64>(repeating: 0)
    /// Slots whose saved value is still only in the PE (Unicorn), as of save `epoch`.
    @usableFromInline var inPE: UInt32 = 0
    @usableFromInline var epoch: UInt64 = 0

    public init() {}

    /// Stores a value (the software writes its copy; no PE access).
    public subscript(n: Int) -> UInt64 {
        @available(*, unavailable, message: "read through Processor.savedGPR: the value may still be in the PE")
        get { values[n] }
        @inlinable set {
            values[n] = newValue
            inPE &= ~(1 &<< UInt32(n))
        }
    }
}

/// What the PE knows of Unicorn's GPRs for the lazy save (`SavedGPRs`).
@usableFromInline
struct GPRTracking {
    /// Unicorn's value of the slots in `known` (read, or written by a restore, since the last change).
    @usableFromInline let values = UnsafeMutablePointer<UInt64>.zeroed(31)
    @usableFromInline var known: UInt32 = 0
    /// Advances whenever Unicorn's GPRs may change (a write, guest code running):
    /// a save's slots still in the PE are readable from Unicorn only in its epoch.
    @usableFromInline var epoch: UInt64 = 1
    /// The epoch of the save not yet restored, if any.
    var openSave: UInt64 = 0
    /// All 31 of a save whose epoch ended before it was restored (a debugger's
    /// write to a blocked vCPU), in `frozenEpoch`.
    let frozen = UnsafeMutablePointer<UInt64>.zeroed(31)
    var frozenEpoch: UInt64 = 0

    func deallocate() { values.deallocate(); frozen.deallocate() }
}

extension UnsafeMutablePointer where Pointee == UInt64 {
    /// `n` words set to zero: the PE's fixed register buffers.
    static func zeroed(_ n: Int) -> Self {
        let p = allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        return p
    }
}

/// The counted GPR operations of EL2 software: one by one, or all 31 as the
/// vector's entry and exit code does.
extension Processor {
    public func readGPR(_ n: Int) -> UInt64 {
        count(.gprRead)
        return n >= 0 && n < 31 ? engine.read(.x(n)) : 0
    }

    public func writeGPR(_ n: Int, _ v: UInt64) {
        count(.gprWrite)
        gprsWillChange()
        if n >= 0 && n < 31 { engine.write(.x(n), v) }
    }

    /// Saves x0...x30 (31 GPR operations), as the EL2 vector's entry code does:
    /// the values stay in the PE until read (`savedGPR`).
    public func saveGPRs(into regs: inout SavedGPRs) {
        count(.gprRead, 31)
        regs.inPE = 0x7FFF_FFFF
        regs.epoch = gprs.epoch
        gprs.openSave = gprs.epoch
    }

    /// Saved register `n` (x31 reads as zero). Not counted: the save was.
    /// Inlinable: the common cases (the software's copy, or a value the PE
    /// already read in the save's epoch) take no call.
    @inlinable
    public func savedGPR(_ n: Int, in regs: inout SavedGPRs) -> UInt64 {
        guard n >= 0 && n < 31 else { return 0 }
        let b: UInt32 = 1 &<< UInt32(n)
        guard regs.inPE & b != 0 else { return regs.values[n] }
        if regs.epoch == gprs.epoch && gprs.known & b != 0 {
            let v = gprs.values[n]
            regs.values[n] = v
            regs.inPE &= ~b
            return v
        }
        return savedGPRFromPE(n, in: &regs)
    }

    /// The rest of `savedGPR`: a slot still in the PE that needs a Unicorn read or a frozen copy.
    @usableFromInline
    func savedGPRFromPE(_ n: Int, in regs: inout SavedGPRs) -> UInt64 {
        let b: UInt32 = 1 &<< UInt32(n)
        let v: UInt64
        if regs.epoch == gprs.epoch {
            if gprs.known & b == 0 {
                gprs.values[n] = engine.read(.x(n))
                gprs.known |= b
            }
            v = gprs.values[n]
        } else if regs.epoch == gprs.frozenEpoch {
            v = gprs.frozen[n]
        } else {
            // Its epoch is gone unrestored and unfrozen: nothing can have saved it.
            v = regs.values[n]
        }
        regs.values[n] = v
        regs.inPE &= ~b
        return v
    }

    /// Restores x0...x30 (31 GPR operations). Only registers whose value
    /// differs from what the CPU holds reach Unicorn: a hypercall changes x0-x3, not all 31.
    public func restoreGPRs(_ regs: inout SavedGPRs) {
        count(.gprWrite, 31)
        if regs.epoch == gprs.epoch {
            // Slots still in the PE hold their saved value there already.
            var m = ~regs.inPE & 0x7FFF_FFFF
            while m != 0 {
                let i = m.trailingZeroBitCount
                m &= m &- 1
                let v = regs.values[i]
                if gprs.known & (1 &<< UInt32(i)) == 0 || gprs.values[i] != v { engine.writeX(i, v) }
            }
        } else {
            for n in 0..<31 where regs.inPE & (1 &<< UInt32(n)) != 0 { _ = savedGPR(n, in: &regs) }
            withUnsafeMutableBytes(of: &regs.values) { engine.writeGeneralPurposeRegisters($0.assumingMemoryBound(to: UInt64.self).baseAddress!) }
        }
        gprs.openSave = 0
        gprsWillChange()
    }

    /// Call before Unicorn's GPRs change (a write, guest code about to run): a
    /// save not yet restored keeps its values (all 31 read now, rarely needed).
    func gprsWillChange() {
        if gprs.openSave == gprs.epoch {
            engine.readGeneralPurposeRegisters(into: gprs.frozen)
            gprs.frozenEpoch = gprs.epoch
        }
        gprs.epoch &+= 1
        gprs.known = 0
    }
}
