import CUnicorn

/// A block hook whose common case runs in C: it counts each block's
/// instructions and calls the Swift slow path only for a block not seen
/// recently, at an instruction threshold, or when a stop is pending.
public final class BlockGate {
    let gate: UnsafeMutablePointer<el2_block_gate>
    let slow: Box<(UInt64, UInt32) -> Void>

    init(_ slow: @escaping (UInt64, UInt32) -> Void) {
        gate = .allocate(capacity: 1)
        gate.initialize(to: el2_block_gate())
        self.slow = Box(slow)
        _ = withUnsafeMutableBytes(of: &gate.pointee.recent) { $0.initializeMemory(as: UInt8.self, repeating: 0xFF) }
        gate.pointee.threshold = 0
        gate.pointee.user = Unmanaged.passUnretained(self.slow).toOpaque()
        gate.pointee.slow = { _, address, size, user in
            Unmanaged<Box<(UInt64, UInt32) -> Void>>.fromOpaque(user!).takeUnretainedValue().body(address, size)
        }
    }

    deinit { gate.deallocate() }

    /// Instructions retired so far (counted at block starts).
    public var instructions: UInt64 {
        get { gate.pointee.instructions }
        set { gate.pointee.instructions = newValue }
    }

    /// Loads and stores of the blocks counted (each block's, at its start).
    public var memoryAccesses: UInt64 {
        get { gate.pointee.memory_accesses }
        set { gate.pointee.memory_accesses = newValue }
    }

    /// The end of the block that runs now (its instructions count from its start).
    public var blockEnd: UInt64 { gate.pointee.block_end }

    /// The slow path runs at the first block that would reach this count.
    public var threshold: UInt64 {
        get { gate.pointee.threshold }
        set { gate.pointee.threshold = newValue }
    }

    /// While set, every block takes the slow path.
    public var stopPending: Bool {
        get { gate.pointee.stop != 0 }
        set { gate.pointee.stop = newValue ? 1 : 0 }
    }

    /// Lets blocks at `address` (with `memoryAccesses` loads and stores) take the fast path from now on.
    public func remember(_ address: UInt64, memoryAccesses: UInt8 = 0) {
        withUnsafeMutableBytes(of: &gate.pointee.recent) { raw in
            raw.storeBytes(of: address, toByteOffset: Int((address >> 2) & 4095) * 8, as: UInt64.self)
        }
        withUnsafeMutableBytes(of: &gate.pointee.recent_memory) { raw in
            raw.storeBytes(of: memoryAccesses, toByteOffset: Int((address >> 2) & 4095), as: UInt8.self)
        }
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
}
