/// One vCPU's operations since the ledger last took them, by phase: a fixed
/// buffer, bumped with no checks, since every operation of every exit lands
/// here. The phase is the software's: it says where new operations are booked.
public final class Meter {
    @usableFromInline let table: UnsafeMutablePointer<Int>
    /// Which cells of `table` are non-zero (bits 0-63, 64-127).
    @usableFromInline var counted: (UInt64, UInt64) = (0, 0)
    /// The first cell of the current phase in `table`.
    @usableFromInline var phaseBase = 0
    /// When false, nothing is counted (to measure the ledger's own cost).
    @usableFromInline let isEnabled: Bool
    /// `OperationCounts.width`, held here: a stored static would be checked for initialisation at every use.
    @usableFromInline let width = OperationCounts.width

    public init(enabled: Bool = true) {
        precondition(OperationCounts.size <= OperationCounts.maximumSize, "the count table outgrew the meter's masks")
        table = .allocate(capacity: OperationCounts.size)
        table.initialize(repeating: 0, count: OperationCounts.size)
        isEnabled = enabled
    }

    deinit { table.deallocate() }

    /// The phase that new operations are booked to.
    public var phase: Phase = .entry { didSet { phaseBase = phase.rawValue &* width } }

    @inlinable @inline(__always)
    public func add(_ op: PricedOperation, _ n: Int = 1) {
        guard isEnabled else { return }
        let cell = phaseBase &+ op.rawValue
        table[cell] &+= n
        if cell < 64 { counted.0 |= 1 << UInt64(cell) } else { counted.1 |= 1 << UInt64(cell &- 64) }
    }

    /// The counts since the last take.
    public var counts: OperationCounts { OperationCounts(UnsafeBufferPointer(start: table, count: OperationCounts.size)) }

    /// Lends the counts since the last take to `body`, which must drain the
    /// view (`CountsView.drain`, which clears them) and returns the exit's cycles.
    public func withCounts(_ body: (CountsView) -> UInt64) -> UInt64 {
        let view = CountsView(table: UnsafeMutableBufferPointer(start: table, count: OperationCounts.size), counted: counted)
        counted = (0, 0)
        return body(view)
    }

    /// Drops the counts since the last take (set-up work no exit pays for).
    public func discard() {
        _ = withCounts { view in view.drain { _, _ in }; return 0 }
    }
}
