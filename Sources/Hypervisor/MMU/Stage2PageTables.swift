import AArch64
import EL2

/// The VM's stage-2 translation tables, built by the hypervisor in host
/// memory that is not mapped into the guest (KVM's kvm_pgtable_stage2_*):
/// a pool of 4 KiB table pages, the start-level table(s) concatenated as
/// VTCR_EL2 requires, 2 MiB blocks where IPA and PA are aligned, pages
/// elsewhere. Blocks are split into tables when a page inside changes.
final class Stage2PageTables {
    let memory: HostMemory
    let vtcr: VTCR
    let pool: HostMemory.Region
    private var nextFree: UInt64
    /// Host PA of the start-level table(s): VTTBR_EL2.BADDR.
    let root: UInt64
    let startLevel: Int

    struct BuildError: Error, CustomStringConvertible { let description: String }

    /// Permissions of a stage-2 leaf.
    struct Permissions: Equatable {
        var read = true, write = true, execute = true
        static let all = Permissions()
    }

    init(memory: HostMemory, vtcr: VTCR, poolBase: UInt64, poolSize: UInt64) throws {
        guard let start = vtcr.startLevel, let concat = vtcr.concatenatedTables else {
            throw BuildError(description: "VTCR_EL2 0x\(String(vtcr.raw, radix: 16)): T0SZ \(vtcr.t0sz) and SL0 \(vtcr.sl0) do not fit together")
        }
        self.memory = memory
        self.vtcr = vtcr
        startLevel = start
        pool = try memory.add(base: poolBase, size: poolSize)
        // Concatenated tables must be aligned to their total size.
        let rootSize = UInt64(concat) * 4096
        root = (poolBase &+ rootSize &- 1) & ~(rootSize &- 1)
        nextFree = root &+ rootSize
    }

    /// A zeroed host page from the pool (a table, or a page a test maps in).
    func allocatePage() throws -> UInt64 {
        guard nextFree &+ 4096 <= pool.base &+ pool.size else { throw BuildError(description: "stage-2 table pool exhausted") }
        let pa = nextFree
        nextFree &+= 4096
        memory.pointer(pa, count: 4096)?.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        return pa
    }

    /// The host PA of the descriptor for `ipa` at `level`, given the table it lives in.
    private func slot(_ table: UInt64, _ ipa: UInt64, _ level: Int) -> UInt64 {
        let shift = VTCR.shift(level: level)
        let bits = level == startLevel ? vtcr.inputBits - shift : 9
        return table &+ ((ipa >> UInt64(shift)) & ((1 << UInt64(bits)) - 1)) &* 8
    }

    private func read(_ pa: UInt64) -> Stage2Descriptor { Stage2Descriptor(raw: memory.read64(pa) ?? 0) }
    private func write(_ pa: UInt64, _ d: Stage2Descriptor) { memory.write64(pa, d.raw) }

    /// Maps [ipa, ipa+size) to host [pa, pa+size) (all 4 KiB aligned).
    func map(ipa: UInt64, pa: UInt64, size: UInt64, permissions: Permissions = .all,
             memAttr: UInt8 = Stage2Descriptor.normalWriteBack) throws {
        guard ipa & 0xFFF == 0, pa & 0xFFF == 0, size & 0xFFF == 0 else {
            throw BuildError(description: "stage-2 map of IPA 0x\(String(ipa, radix: 16)) is not page aligned")
        }
        var off: UInt64 = 0
        while off < size {
            let a = ipa &+ off, p = pa &+ off
            let block: UInt64 = 1 << 21
            if a & (block - 1) == 0 && p & (block - 1) == 0 && size - off >= block && startLevel <= 2 {
                try setLeaf(a, level: 2, Stage2Descriptor.leaf(p, isPage: false, read: permissions.read, write: permissions.write,
                                                               executeNever: !permissions.execute, memAttr: memAttr))
                off &+= block
            } else {
                try setLeaf(a, level: 3, Stage2Descriptor.leaf(p, isPage: true, read: permissions.read, write: permissions.write,
                                                               executeNever: !permissions.execute, memAttr: memAttr))
                off &+= 4096
            }
        }
    }

    /// Removes the page at `ipa` (splitting a block around it).
    func unmap(page ipa: UInt64) throws {
        try setLeaf(ipa & ~0xFFF, level: 3, .invalid)
    }

    /// The leaf that maps `ipa`, with its level.
    func lookup(_ ipa: UInt64) -> (descriptor: Stage2Descriptor, level: Int)? {
        var table = root, level = startLevel
        while level <= 3 {
            let d = read(slot(table, ipa, level))
            switch d.kind(atLevel: level) {
            case .invalid: return nil
            case .table: table = d.outputAddress; level += 1
            case .block, .page: return (d, level)
            }
        }
        return nil
    }

    /// Changes the permissions of the 4 KiB page at `ipa` (splitting a block).
    func setPermissions(page ipa: UInt64, _ permissions: Permissions) throws {
        guard let (d, level) = lookup(ipa) else { throw BuildError(description: "IPA 0x\(String(ipa, radix: 16)) is not mapped") }
        let size: UInt64 = 1 << UInt64(VTCR.shift(level: level))
        let pa = d.outputAddress &+ ((ipa & ~0xFFF) & (size - 1))
        try setLeaf(ipa & ~0xFFF, level: 3, Stage2Descriptor.leaf(pa, isPage: true, read: permissions.read, write: permissions.write,
                                                                  executeNever: !permissions.execute, memAttr: d.memAttr))
    }

    /// Clears the access flag of the 4 KiB page at `ipa` (splitting a block):
    /// the next access takes an access flag fault (no hardware AF update here).
    func clearAccessFlag(page ipa: UInt64) throws {
        guard let (d, level) = lookup(ipa) else { throw BuildError(description: "IPA 0x\(String(ipa, radix: 16)) is not mapped") }
        let size: UInt64 = 1 << UInt64(VTCR.shift(level: level))
        let pa = d.outputAddress &+ ((ipa & ~0xFFF) & (size - 1))
        try setLeaf(ipa & ~0xFFF, level: 3, Stage2Descriptor.leaf(pa, isPage: true, read: d.readable, write: d.writable,
                                                                  executeNever: d.executeNever, accessFlag: false, memAttr: d.memAttr))
    }

    /// Writes a leaf (or invalid) descriptor for `ipa` at `level`, creating
    /// tables on the way and splitting a block that is in the way into a table
    /// of equivalent smaller leaves.
    private func setLeaf(_ ipa: UInt64, level target: Int, _ leaf: Stage2Descriptor) throws {
        var table = root, level = startLevel
        while level < target {
            let s = slot(table, ipa, level)
            let d = read(s)
            switch d.kind(atLevel: level) {
            case .table:
                table = d.outputAddress
            case .invalid:
                if leaf == .invalid { return }
                let next = try allocatePage()
                write(s, .table(next))
                table = next
            case .block, .page:
                // Split: the new table repeats the block as 512 smaller leaves.
                let next = try allocatePage()
                let childSize: UInt64 = 1 << UInt64(VTCR.shift(level: level + 1))
                let isPage = level + 1 == 3
                for i in 0..<UInt64(512) {
                    var raw = d.raw & ~(0x0000_FFFF_FFFF_F000 | 3)
                    raw |= (d.outputAddress &+ i &* childSize) | (isPage ? 3 : 1)
                    write(next &+ i &* 8, Stage2Descriptor(raw: raw))
                }
                write(s, .table(next))
                table = next
            }
            level += 1
        }
        write(slot(table, ipa, target), leaf)
    }
}
