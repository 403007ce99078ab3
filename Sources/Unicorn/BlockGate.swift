import CUnicorn

/// A block hook whose common case runs in C: it counts each block's
/// instructions and calls the Swift slow path only for a block's first run
/// after it was translated, at an instruction threshold, or when a stop is
/// pending. With our patched Unicorn the commonest case runs in Unicorn's
/// generated code (a budget: see el2_block_gate in CUnicorn.h).
public final class BlockGate {
    @usableFromInline let gate: UnsafeMutablePointer<el2_block_gate>
    let slow: Box<(UInt64, UInt32) -> Void>

    init(_ slow: @escaping (UInt64, UInt32) -> Void) {
        gate = .allocate(capacity: 1)
        self.slow = Box(slow)
        el2_block_gate_init(gate)
        gate.pointee.user = Unmanaged.passUnretained(self.slow).toOpaque()
        gate.pointee.slow = { _, address, size, user in
            Unmanaged<Box<(UInt64, UInt32) -> Void>>.fromOpaque(user!).takeUnretainedValue().body(address, size)
        }
    }

    deinit { gate.deallocate() }

    // Inlinable, as the two below: every exit reads and sets them, and an
    // opaque call made the caller retain the gate around it.
    /// Instructions retired so far (counted at block starts).
    @inlinable public var instructions: UInt64 {
        get { instructionBytes >> 2 }
        set { el2_block_gate_set_count(gate, newValue &<< 2) }
    }

    /// `instructions` times 4.
    @inlinable public var instructionBytes: UInt64 {
        // Never null (el2_block_gate_init): no test where every exit reads the clock.
        gate.pointee.instruction_bytes &- UInt64(bitPattern: Int64(gate.pointee.budget.unsafelyUnwrapped.pointee))
    }

    /// Loads and stores retired, counted at block starts while `countsMemoryAccesses`.
    public var memoryAccesses: UInt64 {
        get { gate.pointee.memory_accesses }
        set { gate.pointee.memory_accesses = newValue }
    }

    /// Count loads and stores (a PMU counts MEM_ACCESS): off, the fast path does not look them up.
    public var countsMemoryAccesses: Bool {
        get { gate.pointee.count_memory != 0 }
        set { gate.pointee.count_memory = newValue ? 1 : 0; el2_block_gate_refresh(gate) }
    }

    /// The end (address + size) of the block that runs now, which holds `pc`
    /// (for a hook inside it).
    public func blockEnd(holding pc: UInt64) -> UInt64 { el2_block_gate_end(gate, pc) }

    /// The slow path runs at the first block that would reach this count.
    @inlinable public var threshold: UInt64 {
        get { gate.pointee.threshold }
        set { gate.pointee.threshold = newValue; el2_block_gate_refresh(gate) }
    }

    /// While set, every block takes the slow path (always, once more
    /// translated blocks waited for their first run than the gate holds).
    @inlinable public var stopPending: Bool {
        get { gate.pointee.stop != 0 }
        set {
            gate.pointee.stop = newValue || gate.pointee.overflowed != 0 ? 1 : 0
            el2_block_gate_refresh(gate)
        }
    }

    /// Sets `stopPending` and `threshold` at once (one refresh, and the object
    /// is not used after the C call: the caller needs no retain around it).
    @inlinable public func set(stopPending stop: Bool, threshold t: UInt64) {
        let g = gate
        g.pointee.stop = stop || g.pointee.overflowed != 0 ? 1 : 0
        g.pointee.threshold = t
        el2_block_gate_refresh(g)
    }

    /// The slow path has seen the block at `address` (its first run after a
    /// translation): it takes the fast path from now on.
    public func seen(_ address: UInt64) {
        el2_block_gate_seen(gate, address)
        // More translations waited than the gate holds: every block comes to the slow path.
        if gate.pointee.overflowed != 0 { gate.pointee.stop = 1; el2_block_gate_refresh(gate) }
    }

    /// The block at `address` has `count` loads and stores (MEM_ACCESS's table).
    public func remember(_ address: UInt64, memoryAccesses count: UInt8) {
        let i = Int((address >> 2) & UInt64(EL2_GATE_MEMORY - 1))
        withUnsafeMutableBytes(of: &gate.pointee.memory_block) { $0.storeBytes(of: address, toByteOffset: i * 8, as: UInt64.self) }
        withUnsafeMutableBytes(of: &gate.pointee.memory_count) { $0.storeBytes(of: count, toByteOffset: i, as: UInt8.self) }
    }
}

extension Engine {
    /// Installs a block gate (see `BlockGate`).
    public func blockGate(_ slow: @escaping (_ address: UInt64, _ size: UInt32) -> Void) throws -> BlockGate {
        let g = BlockGate(slow)
        boxes.append(g)
        var h: uc_hook = 0
        try check(el2_hook_add_block_gate(uc, &h, g.gate))
        return g
    }

    /// A block hook that does nothing, in C: what Unicorn's call of the
    /// gate costs before the gate does anything (for measuring).
    public func addEmptyBlockHook() throws {
        var h: uc_hook = 0
        try check(el2_hook_add_empty_block(uc, &h))
    }
}
