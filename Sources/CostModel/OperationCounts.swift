/// One exit's counts as a meter holds them: the table (laid out as
/// `OperationCounts.table`) and which of its cells were counted, and the PE's
/// own cells (`Meter.hardware`), so that pricing an exit visits the dozen
/// cells it used, not all of them.
public struct CountsView {
    public let table: UnsafeMutableBufferPointer<Int>
    @usableFromInline let counted: (UInt64, UInt64)
    @usableFromInline let hardware: UnsafeMutablePointer<Int>
    @usableFromInline let hardwareCounted: (UInt64, UInt64)
    @usableFromInline let hardwareCell: UnsafeMutablePointer<Int>

    @inlinable
    init(table: UnsafeMutableBufferPointer<Int>, counted: (UInt64, UInt64),
         hardware: UnsafeMutablePointer<Int>, hardwareCounted: (UInt64, UInt64), hardwareCell: UnsafeMutablePointer<Int>) {
        self.table = table
        self.counted = counted
        self.hardware = hardware
        self.hardwareCounted = hardwareCounted
        self.hardwareCell = hardwareCell
    }

    /// Calls `body(cell, count)` for each counted cell (cell = phase * width +
    /// operation) and clears it: the counts start again from zero. A cell may
    /// come twice (once from the PE's cells), so `body` adds. Whoever
    /// takes the counts (`Meter.withCounts`) drains them exactly once.
    @inlinable
    public func drain(_ body: (_ cell: Int, _ count: Int) -> Void) {
        var m = counted.0
        while m != 0 { let c = m.trailingZeroBitCount; body(c, table[c]); table[c] = 0; m &= m &- 1 }
        m = counted.1
        while m != 0 { let c = m.trailingZeroBitCount &+ 64; body(c, table[c]); table[c] = 0; m &= m &- 1 }
        m = hardwareCounted.0
        while m != 0 { let c = m.trailingZeroBitCount; body(hardwareCell[c], hardware[c]); hardware[c] = 0; m &= m &- 1 }
        m = hardwareCounted.1
        while m != 0 { let c = m.trailingZeroBitCount &+ 64; body(hardwareCell[c], hardware[c]); hardware[c] = 0; m &= m &- 1 }
    }

    /// The counts as one table, left in place (a traced exit's copy).
    public var counts: OperationCounts {
        var c = OperationCounts(UnsafeBufferPointer(table))
        // The two mask words in turn (no array of them: this runs per traced exit).
        func add(_ mask: UInt64, _ base: Int) {
            var m = mask
            while m != 0 { let h = m.trailingZeroBitCount &+ base; c.table[hardwareCell[h]] &+= hardware[h]; m &= m &- 1 }
        }
        add(hardwareCounted.0, 0)
        add(hardwareCounted.1, 64)
        return c
    }
}

/// Counts of operations by phase: a flat table, cheap to bump and to diff.
public struct OperationCounts: Equatable, Sendable {
    /// Sizes from the enums' cases, so a new case always has its cells.
    public static let width = PricedOperation.allCases.count
    public static let phases = Phase.allCases.count
    public static let size = phases * width
    /// A meter marks the cells it counted in two 64-bit masks.
    public static let maximumSize = 128
    public var table: [Int] = Array(repeating: 0, count: OperationCounts.size)

    public init() {}

    public init(_ buffer: UnsafeBufferPointer<Int>) {
        // One copy, zero-filled past `buffer`: copied on every traced exit.
        let n = Swift.min(buffer.count, OperationCounts.size)
        table = Array(unsafeUninitializedCapacity: OperationCounts.size) { t, count in
            if n > 0 { t.baseAddress!.initialize(from: buffer.baseAddress!, count: n) }
            (t.baseAddress! + n).initialize(repeating: 0, count: OperationCounts.size - n)
            count = OperationCounts.size
        }
    }

    /// The cell of `op` in `phase`.
    @inlinable public static func cell(_ op: PricedOperation, _ phase: Phase) -> Int { phase.rawValue &* width &+ op.rawValue }

    public subscript(op: PricedOperation, phase: Phase) -> Int {
        table[OperationCounts.cell(op, phase)]
    }

    public func total(_ op: PricedOperation) -> Int {
        Phase.allCases.reduce(0) { $0 + self[op, $1] }
    }

    public var isEmpty: Bool { !table.contains { $0 != 0 } }

    public static func += (a: inout OperationCounts, b: OperationCounts) {
        a.table.withUnsafeMutableBufferPointer { x in
            b.table.withUnsafeBufferPointer { y in
                for i in 0..<min(x.count, y.count) { x[i] &+= y[i] }
            }
        }
    }
}
