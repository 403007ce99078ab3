/// The operations the PE performs for the EL2 software, each counted as it
/// is performed and taken by the software (`Processor.takeOperations`), so
/// that what an exit costs is what its code really made the hardware do. The
/// hardware names no price and no phase: those are the software's cost model.
public enum HardwareOperation: Int, CaseIterable, Sendable {
    case trapToEL2          // exception entry from a lower EL to EL2
    case eret               // exception return from EL2
    case sysregReadEL1      // MRS of an EL1 context register (or *_EL12)
    case sysregWriteEL1
    case sysregReadEL2      // MRS of an EL2 control register (HCR, VTTBR, ESR, ...)
    case sysregWriteEL2
    case sysregReadTimer    // CNT* timer/counter registers
    case sysregWriteTimer
    case gprRead            // one general-purpose register read by EL2 software
    case gprWrite
    case redistributorWrite // a store to the GIC redistributor (GICR_ISACTIVER0/ICACTIVER0)
    case tlbMaintenance     // TLBI
    case stage2WalkStep     // one descriptor read by the stage-2 walker
    case listRegisterRead   // ICH_LR<n>_EL2 and the other ICH_* registers
    case listRegisterWrite
}

/// Told before the PE takes an exception to EL2 and before it returns from
/// one, so the software can take what the PE did until then
/// (`Processor.takeOperations`) and book it as it sees fit. A class, not a
/// protocol: the PE calls it through a guaranteed reference, with no
/// retain and release per call (an existential has none).
open class OperationCounter {
    public init() {}
    open func willPerform(_ op: HardwareOperation) {}
}

/// The operations performed since the software last took them: a fixed
/// table bumped with no call and no check (every operation of every exit
/// lands here), and a mask of the entries in use. The table is the PE's own
/// until the software gives it one of its own (`Processor.countOperations(into:)`).
@usableFromInline
struct OperationTally {
    @usableFromInline let own: UnsafeMutablePointer<Int>
    @usableFromInline var counts: UnsafeMutablePointer<Int>
    @usableFromInline var used: UInt64 = 0

    init() {
        own = .allocate(capacity: HardwareOperation.allCases.count)
        own.initialize(repeating: 0, count: HardwareOperation.allCases.count)
        counts = own
    }

    @inlinable @inline(__always)
    mutating func add(_ op: HardwareOperation, _ n: Int) {
        counts[op.rawValue] &+= n
        used |= 1 << UInt64(op.rawValue)
    }

    /// Calls `body` for each operation performed and clears it.
    @inlinable @inline(__always)
    mutating func drain(_ body: (HardwareOperation, Int) -> Void) {
        var m = used
        used = 0
        while m != 0 {
            let i = m.trailingZeroBitCount
            m &= m &- 1
            body(HardwareOperation(rawValue: i).unsafelyUnwrapped, counts[i])
            counts[i] = 0
        }
    }

    /// Counts into `table` from now on; returns the mask of what was counted into the old one.
    @inlinable @inline(__always)
    mutating func count(into table: UnsafeMutablePointer<Int>) -> UInt64 {
        defer { used = 0; counts = table }
        return used
    }

    func deallocate() { own.deallocate() }
}
