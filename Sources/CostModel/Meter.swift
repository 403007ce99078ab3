/// One vCPU's operations since the ledger last took them, by phase: a fixed
/// buffer, bumped with no checks, since every operation of every exit lands
/// here. The phase is the software's: it says where new operations are booked.
///
/// The operations a PE performs are counted by the PE itself, into a row of
/// `hardware` per phase in its own order (`hardwareRow`): changing phase then
/// only marks what the PE counted, and the ledger prices those cells where they lie.
public final class Meter {
    @usableFromInline let table: UnsafeMutablePointer<Int>
    /// Which cells of `table` are counted: two words, cell `c` at word `c / 64`, bit `c % 64`.
    @usableFromInline let counted: UnsafeMutablePointer<UInt64>
    /// The PE's counts: `rowWidth` cells per phase, a cell per operation the PE reports.
    @usableFromInline let hardware: UnsafeMutablePointer<Int>
    /// Which cells of `hardware` are counted: two words, a phase's 16 bits at
    /// word `phase / 4`, bit `(phase % 4) * 16` (phases 0-3, then 4-5).
    @usableFromInline let hardwareCounted: UnsafeMutablePointer<UInt64>
    /// Per cell of `hardware`, the cell of `table` its operation is priced as.
    @usableFromInline let hardwareCell: UnsafeMutablePointer<Int>
    /// A PE reports at most this many operations; a power of two, so no phase's row straddles the masks.
    public static let rowWidth = 16
    /// The first cell of the current phase in `table`.
    @usableFromInline var phaseBase = 0
    /// When false, nothing is priced: the counts are dropped as each exit is taken (to measure the ledger's own cost).
    @usableFromInline let isEnabled: Bool
    /// `OperationCounts.width`, held here: a stored static would be checked for initialisation at every use.
    @usableFromInline let width = OperationCounts.width
    /// `OperationCounts.size`, held here for the same reason.
    @usableFromInline let size = OperationCounts.size

    /// `hardware` prices the PE's operations, by their number.
    public init(enabled: Bool = true, hardware operations: [PricedOperation] = []) {
        precondition(OperationCounts.size <= OperationCounts.maximumSize, "the count table outgrew the meter's masks")
        precondition(operations.count <= Meter.rowWidth && OperationCounts.phases * Meter.rowWidth <= 128, "the PE's operations outgrew the meter's rows")
        table = .allocate(capacity: OperationCounts.size)
        table.initialize(repeating: 0, count: OperationCounts.size)
        counted = .allocate(capacity: 2)
        counted.initialize(repeating: 0, count: 2)
        let cells = OperationCounts.phases * Meter.rowWidth
        hardware = .allocate(capacity: cells)
        hardware.initialize(repeating: 0, count: cells)
        hardwareCounted = .allocate(capacity: 2)
        hardwareCounted.initialize(repeating: 0, count: 2)
        hardwareCell = .allocate(capacity: cells)
        for c in 0..<cells {
            let o = c % Meter.rowWidth
            hardwareCell[c] = o < operations.count ? OperationCounts.cell(operations[o], Phase(rawValue: c / Meter.rowWidth)!) : 0
        }
        isEnabled = enabled
    }

    deinit { table.deallocate(); counted.deallocate(); hardware.deallocate(); hardwareCounted.deallocate(); hardwareCell.deallocate() }

    /// The phase that new operations are booked to.
    public var phase: Phase = .entry { didSet { phaseBase = phase.rawValue &* width } }

    @inlinable @inline(__always)
    public func add(_ op: PricedOperation, _ n: Int = 1) {
        let cell = phaseBase &+ op.rawValue
        table[cell] &+= n
        counted[cell &>> 6] |= 1 &<< UInt64(truncatingIfNeeded: cell & 63)
    }

    /// The row the PE counts `phase`'s operations into (by operation number).
    @inlinable @inline(__always)
    public func hardwareRow(_ phase: Phase) -> UnsafeMutablePointer<Int> { hardware + phase.rawValue &* Meter.rowWidth }

    /// A phase change: the PE counted the operations in `used` (bit = operation
    /// number) into the old phase's row; new operations are booked to `next`.
    /// Only marks: the ledger prices the cells where they lie, once per exit.
    @inlinable @inline(__always)
    public func enter(_ next: Phase, tookHardware used: UInt64) {
        let p = phase.rawValue
        hardwareCounted[p &>> 2] |= used &<< UInt64(truncatingIfNeeded: (p & 3) &* Meter.rowWidth)
        phase = next
    }

    /// The counts since the last take.
    public var counts: OperationCounts { isEnabled ? view.counts : OperationCounts() }

    @inlinable @inline(__always) var view: CountsView {
        CountsView(table: UnsafeMutableBufferPointer(start: table, count: size), counted: (counted[0], counted[1]),
                   hardware: hardware, hardwareCounted: (hardwareCounted[0], hardwareCounted[1]), hardwareCell: hardwareCell)
    }

    /// Lends the counts since the last take to `body`, which must drain the
    /// view (`CountsView.drain`, which clears them) and returns the exit's cycles.
    @inlinable @inline(__always)
    public func withCounts(_ body: (CountsView) -> UInt64) -> UInt64 {
        // Disabled: the PE and `add` still counted; those counts are dropped here, once an exit.
        if !isEnabled { view.drain { _, _ in }; counted.update(repeating: 0, count: 2); hardwareCounted.update(repeating: 0, count: 2) }
        let v = view
        counted[0] = 0
        counted[1] = 0
        hardwareCounted[0] = 0
        hardwareCounted[1] = 0
        return body(v)
    }

    /// Drops the counts since the last take (set-up work no exit pays for).
    public func discard() {
        _ = withCounts { view in view.drain { _, _ in }; return 0 }
    }
}
