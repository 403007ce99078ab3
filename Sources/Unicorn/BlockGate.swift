import CUnicorn

/// A block hook whose common case runs in C: it counts each block's
/// instructions and calls the Swift slow path only for a block's first run
/// after it was translated, at an instruction threshold, or when a stop is
/// pending.
public final class BlockGate {
    let gate: UnsafeMutablePointer<el2_block_gate>
    let slow: Box<(UInt64, UInt32) -> Void>

    init(_ slow: @escaping (UInt64, UInt32) -> Void) {
        gate = .allocate(capacity: 1)
        gate.initialize(to: el2_block_gate())
        self.slow = Box(slow)
        gate.pointee.threshold = 0
        gate.pointee.fresh = 1
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

    /// The block just translated has been seen: blocks take the fast path
    /// until the next translation.
    public func translationSeen() {
        gate.pointee.fresh = 0
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
