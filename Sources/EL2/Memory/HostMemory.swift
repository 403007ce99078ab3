import Foundation

/// The host's physical memory: regions of host PA backed by anonymous
/// mappings that the host kernel commits lazily (untouched pages cost nothing).
public final class HostMemory {
    public struct Region {
        public let base: UInt64
        public let size: UInt64
        public let pointer: UnsafeMutableRawPointer
        public func contains(_ pa: UInt64) -> Bool { pa >= base && pa &- base < size }
    }

    public private(set) var regions: [Region] = []
    /// FEAT_MTE's Allocation Tags of this memory (MemoryTags.swift).
    public internal(set) var tags = AllocationTags()

    public struct AllocationError: Error, CustomStringConvertible {
        public let description: String
    }

    public init() {}

    deinit {
        for r in regions { munmap(r.pointer, Int(r.size)) }
    }

    /// Adds a region of host physical memory at `base` (both 4 KiB aligned).
    @discardableResult
    public func add(base: UInt64, size: UInt64) throws -> Region {
        guard size > 0, size % 4096 == 0, base % 4096 == 0, size <= 1 << 40 else {
            throw AllocationError(description: "bad host memory region 0x\(String(base, radix: 16)) size 0x\(String(size, radix: 16))")
        }
        guard !regions.contains(where: { base < $0.base &+ $0.size && $0.base < base &+ size }) else {
            throw AllocationError(description: "host memory region at 0x\(String(base, radix: 16)) overlaps another")
        }
        let p = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else {
            throw AllocationError(description: "cannot reserve \(size >> 20) MiB of host memory")
        }
        let r = Region(base: base, size: size, pointer: p)
        regions.append(r)
        return r
    }

    public func region(containing pa: UInt64) -> Region? {
        regions.first { $0.contains(pa) }
    }

    /// A pointer to `count` bytes at host PA `pa`, if they lie in one region.
    public func pointer(_ pa: UInt64, count: Int = 1) -> UnsafeMutableRawPointer? {
        guard let r = region(containing: pa), count >= 0, UInt64(count) <= r.size &- (pa &- r.base) else { return nil }
        return r.pointer + Int(pa &- r.base)
    }

    public func read64(_ pa: UInt64) -> UInt64? {
        guard pa & 7 == 0, let p = pointer(pa, count: 8) else { return nil }
        return UInt64(littleEndian: p.load(as: UInt64.self))
    }

    @discardableResult
    public func write64(_ pa: UInt64, _ v: UInt64) -> Bool {
        guard pa & 7 == 0, let p = pointer(pa, count: 8) else { return false }
        p.storeBytes(of: v.littleEndian, as: UInt64.self)
        return true
    }

    /// Copies bytes into host memory; false if any byte falls outside a region.
    @discardableResult
    public func write(_ pa: UInt64, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let p = pointer(pa, count: bytes.count) else { return false }
        if let src = bytes.baseAddress { p.copyMemory(from: src, byteCount: bytes.count) }
        return true
    }
}
