/// The hardware operations the hypervisor can perform on the EL2 model.
/// Each one is counted per exit and priced by a cost profile, so an exit's
/// cost is what its code really did.
public enum HardwareOperation: Int, CaseIterable, Sendable, CustomStringConvertible {
    case trapToEL2          // exception entry from a lower EL to EL2
    case eret               // exception return from EL2
    case hvcToEL2           // split mode: the highvisor's HVC back into the lowvisor
    case eretToHost         // split mode: the lowvisor's ERET to the highvisor at EL1
    case sysregReadEL1      // MRS of an EL1 context register (or *_EL12)
    case sysregWriteEL1
    case sysregReadEL2      // MRS of an EL2 control register (HCR, VTTBR, ESR, ...)
    case sysregWriteEL2
    case sysregReadTimer    // CNT* timer/counter registers
    case sysregWriteTimer
    case gprSave            // one general-purpose register stored to the context
    case gprRestore
    case memoryAccess       // one load/store of the hypervisor's own data
    case tlbMaintenance     // TLBI
    case stage2WalkStep     // one descriptor read by the stage-2 walker
    case listRegisterRead   // ICH_LR<n>_EL2 and the other ICH_* registers
    case listRegisterWrite
    case ioUserReturn       // leaving the kernel for a user-space device model and back
    case barrier            // DSB/ISB the switch code needs

    public var description: String {
        switch self {
        case .trapToEL2: return "trap to EL2"
        case .eret: return "ERET"
        case .hvcToEL2: return "HVC to lowvisor"
        case .eretToHost: return "ERET to highvisor"
        case .sysregReadEL1: return "sysreg read EL1"
        case .sysregWriteEL1: return "sysreg write EL1"
        case .sysregReadEL2: return "sysreg read EL2"
        case .sysregWriteEL2: return "sysreg write EL2"
        case .sysregReadTimer: return "timer read"
        case .sysregWriteTimer: return "timer write"
        case .gprSave: return "GPR save"
        case .gprRestore: return "GPR restore"
        case .memoryAccess: return "memory access"
        case .tlbMaintenance: return "TLB maintenance"
        case .stage2WalkStep: return "stage-2 walk step"
        case .listRegisterRead: return "GIC LR read"
        case .listRegisterWrite: return "GIC LR write"
        case .ioUserReturn: return "I/O user return"
        case .barrier: return "barrier"
        }
    }

    /// Stable identifier for JSON and profile files.
    public var key: String {
        switch self {
        case .trapToEL2: return "trap"
        case .eret: return "eret"
        case .hvcToEL2: return "hvc_to_lowvisor"
        case .eretToHost: return "eret_to_highvisor"
        case .sysregReadEL1: return "sysreg_read_el1"
        case .sysregWriteEL1: return "sysreg_write_el1"
        case .sysregReadEL2: return "sysreg_read_el2"
        case .sysregWriteEL2: return "sysreg_write_el2"
        case .sysregReadTimer: return "timer_read"
        case .sysregWriteTimer: return "timer_write"
        case .gprSave: return "gpr_save"
        case .gprRestore: return "gpr_restore"
        case .memoryAccess: return "memory_access"
        case .tlbMaintenance: return "tlbi"
        case .stage2WalkStep: return "stage2_walk_step"
        case .listRegisterRead: return "gic_lr_read"
        case .listRegisterWrite: return "gic_lr_write"
        case .ioUserReturn: return "io_user_return"
        case .barrier: return "barrier"
        }
    }
}

/// The phases of one exit, in the order the hardware needs them.
public enum Phase: Int, CaseIterable, Sendable, CustomStringConvertible {
    case entry, save, handler, highvisor, restore, eret
    public var description: String {
        switch self {
        case .entry: return "entry"
        case .save: return "save"
        case .handler: return "handler"
        case .highvisor: return "highvisor"
        case .restore: return "restore"
        case .eret: return "eret"
        }
    }
}

/// One exit's counts as the PE holds them: the table (laid out as
/// `OperationCounts.table`) and which of its cells were counted, so that
/// pricing an exit visits the dozen cells it used, not all of them.
public struct CountsView {
    public let table: UnsafeMutableBufferPointer<Int>
    @usableFromInline let counted: (UInt64, UInt64)

    init(table: UnsafeMutableBufferPointer<Int>, counted: (UInt64, UInt64)) {
        self.table = table
        self.counted = counted
    }

    /// Calls `body(cell, count)` for each counted cell (cell = phase * width +
    /// operation) and clears it: the PE's counts start again from zero. Whoever
    /// takes the counts (`Processor.withCounts`) drains them exactly once.
    @inlinable
    public func drain(_ body: (_ cell: Int, _ count: Int) -> Void) {
        var m = counted.0
        while m != 0 { let c = m.trailingZeroBitCount; body(c, table[c]); table[c] = 0; m &= m &- 1 }
        m = counted.1
        while m != 0 { let c = m.trailingZeroBitCount &+ 64; body(c, table[c]); table[c] = 0; m &= m &- 1 }
    }
}

/// Counts of operations by phase: a flat table, cheap to bump and to diff.
public struct OperationCounts: Equatable, Sendable {
    // Constants the compiler can fold (a stored static is checked for
    // initialisation at every use, and every counted operation uses them).
    // `barrier` and `eret` are the last cases of their enums.
    @inlinable public static var width: Int { HardwareOperation.barrier.rawValue + 1 }
    @inlinable public static var phases: Int { Phase.eret.rawValue + 1 }
    @inlinable public static var size: Int { phases * width }
    public var table: [Int] = Array(repeating: 0, count: OperationCounts.size)

    public init() {}

    public init(_ buffer: UnsafeBufferPointer<Int>) {
        table = Array(buffer.prefix(OperationCounts.size))
        if table.count < OperationCounts.size { table += Array(repeating: 0, count: OperationCounts.size - table.count) }
    }

    public subscript(op: HardwareOperation, phase: Phase) -> Int {
        table[phase.rawValue * OperationCounts.width + op.rawValue]
    }

    public func total(_ op: HardwareOperation) -> Int {
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
