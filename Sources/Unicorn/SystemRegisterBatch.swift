import CUnicorn

/// Up to 32 system registers that are read or written together in one
/// Unicorn call: a world switch's save/restore list. Registers Unicorn names
/// go by their id; the others by CP_REG encoding.
public final class SystemRegisterBatch: @unchecked Sendable {  // immutable after init
    let batch: UnsafeMutablePointer<el2_reg_batch>
    public let count: Int

    public init(_ registers: [SystemRegisterID]) {
        precondition(registers.count <= 32, "a register batch holds at most 32 registers")
        count = registers.count
        batch = .allocate(capacity: 1)
        batch.initialize(to: el2_reg_batch())
        batch.pointee.count = Int32(registers.count)
        withUnsafeMutableBytes(of: &batch.pointee.ids) { raw in
            let ids = raw.bindMemory(to: Int32.self)
            for (i, r) in registers.enumerated() {
                ids[i] = r.named?.id ?? Int32(bitPattern: UC_ARM64_REG_CP_REG.rawValue)
            }
        }
        withUnsafeMutableBytes(of: &batch.pointee.cp) { raw in
            let cp = raw.bindMemory(to: uc_arm64_cp_reg.self)
            for (i, r) in registers.enumerated() {
                cp[i] = uc_arm64_cp_reg(crn: r.crn, crm: r.crm, op0: r.op0, op1: r.op1, op2: r.op2, val: 0)
            }
        }
    }

    deinit { batch.deallocate() }
}

extension Engine {
    /// Reads the entries of `batch` whose bit is set in `selected` into `values[i]`
    /// (0 for a register this CPU lacks).
    public func read(_ batch: SystemRegisterBatch, selected: UInt32, into values: UnsafeMutablePointer<UInt64>) {
        el2_reg_batch_read(uc, batch.batch, selected, values)
    }

    /// Writes `values[i]` to each entry of `batch` whose bit is set in `selected`.
    public func write(_ batch: SystemRegisterBatch, selected: UInt32, from values: UnsafePointer<UInt64>) {
        el2_reg_batch_write(uc, batch.batch, selected, values)
    }
}
