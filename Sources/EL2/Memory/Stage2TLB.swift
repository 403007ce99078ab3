import AArch64
import Unicorn

/// A device at a host PA (what a guest without stage 2 reaches).
struct PhysicalDevice {
    let base: UInt64, size: UInt64
    let read: (UInt64, Int) -> UInt64
    let write: (UInt64, Int, UInt64) -> Void
}

/// Unicorn's memory map plays the stage-2 TLB: a translation the walker
/// found valid is entered as a mapping of the host page(s) at the IPA, with
/// the permissions S2AP/XN grant (a block is entered whole, as one TLB entry
/// for the block). An access Unicorn finds no mapping or permission for is
/// a TLB miss: the unmapped/protection hook walks the tables again. TLBI and
/// a change of VTTBR_EL2/VMID/VTCR_EL2/HCR_EL2.VM remove what they cover.
final class Stage2TLB {
    /// What the entries were filled under: stage 2 off (IPA = PA), or a VTTBR/VTCR.
    enum Regime: Equatable {
        case identity
        case stage2(vttbr: UInt64, vtcr: UInt64)
        var vmid: UInt16? {
            if case .stage2(let vttbr, _) = self { return VTTBR(raw: vttbr).vmid }
            return nil
        }
    }

    struct Entry {
        var size: UInt64
        var permissions: MemoryPermissions = .all
        /// The host memory mapped at the entry's base (nil for a device).
        var host: UnsafeMutableRawPointer? = nil
        func permits(_ kind: MemoryAccessKind) -> Bool {
            switch kind {
            case .read: return permissions.contains(.read)
            case .write: return permissions.contains(.write)
            case .fetch: return permissions.contains(.exec)
            }
        }
    }
    static let maxEntries = 2048

    var regime: Regime?
    /// Entries by IPA base. Change them only through `insert` and `remove`.
    private(set) var entries: [UInt64: Entry] = [:]
    /// For each 2 MiB block, which of its pages an entry starts at (bit n of
    /// word n / 64): finding the entry that covers an address is then one
    /// lookup here and one in `entries`, not one per page of the block.
    private var starts: [UInt64: InlineArray<8, UInt64>] = [:]

    func insert(_ e: Entry, at base: UInt64) {
        lastHit = nil
        entries[base] = e
        let page = Int((base >> 12) & 511)
        starts[base & ~0x1F_FFFF, default: InlineArray(repeating: 0)][page >> 6] |= 1 << UInt64(page & 63)
    }

    func remove(at base: UInt64) -> Entry? {
        guard let e = entries.removeValue(forKey: base) else { return nil }
        lastHit = nil
        let block = base & ~0x1F_FFFF, page = Int((base >> 12) & 511)
        if var bits = starts[block] {
            bits[page >> 6] &= ~(1 << UInt64(page & 63))
            var empty = true
            for i in 0..<8 where bits[i] != 0 { empty = false }
            starts[block] = empty ? nil : bits
        }
        return e
    }

    /// The base of the last entry that starts in `va`'s 2 MiB block at or below `va`'s page.
    func startBelow(_ va: UInt64) -> UInt64? {
        guard let bits = starts[va & ~0x1F_FFFF] else { return nil }
        var word = Int((va >> 12) & 511) >> 6
        var mask: UInt64 = (va >> 12) & 63 == 63 ? .max : (1 << (((va >> 12) & 63) + 1)) &- 1
        while word >= 0 {
            let b = bits[word] & mask
            if b != 0 { return (va & ~0x1F_FFFF) | UInt64(word * 64 + 63 - b.leadingZeroBitCount) << 12 }
            word -= 1
            mask = .max
        }
        return nil
    }
    /// The entry `Processor.tlbPermits` found last: forgotten on any insert or removal.
    var lastHit: (base: UInt64, entry: Entry)?
    /// What stage 2 off maps, kept in Unicorn's map with no permission while a
    /// stage-2 regime runs (`parkIdentityMap`).
    var parked: [UInt64: Entry] = [:]
    /// Fills and invalidations, for statistics.
    var fills = 0, invalidations = 0
    /// The entry the last instruction fetch by the model hit (`Processor.instructionWord`):
    /// forgotten whenever any entry is removed.
    var lastFetch: (base: UInt64, size: UInt64, host: UnsafeMutableRawPointer)?
}

extension Processor {
    /// The regime the guest runs under now.
    var currentRegime: Stage2TLB.Regime {
        stage2Enabled ? .stage2(vttbr: el2.vttbr & ~1, vtcr: el2.vtcr) : .identity
    }

    /// Before the guest runs (ERET, first entry): if the regime changed since
    /// the entries were filled, they no longer apply. Only a change counts: the
    /// split-mode switch writing VTTBR_EL2 = 0 and back on every exit does not flush.
    @inline(__always)
    func syncTranslationRegime() {
        // The test inline: most ERETs keep the regime.
        let now = currentRegime
        guard tlb.regime != now else { return }
        changeTranslationRegime(to: now)
    }

    @inline(never)
    private func changeTranslationRegime(to now: Stage2TLB.Regime) {
        if tlb.regime == .identity && parksIdentityMap { parkIdentityMap() }
        tlbFlushAll()
        faults.lastMiss = ((0, 0), 0)
        tlb.regime = now
        if now != .identity && !tlb.parked.isEmpty { evictParkedStage2Maps() }
        if now == .identity { enterIdentityMap() }
    }

    // MARK: Stage 2 off: host memory and devices as they are

    // A guest hypervisor's host (stage 2 off) and its guest (stage 2 on) take
    // turns on every exit. Unicorn flushes its TLB page by page on an unmap
    // (~100 ms for 512 MiB of RAM, as much again for a 752 MiB PCIe window;
    // measured), but not on a permission change. So, on Unicorn 2.1, what stage 2
    // off maps stays in Unicorn's map with no permission while a stage-2 regime
    // runs ("parked"), RAM in 2 MiB chunks: an access to a parked entry misses as
    // an unmapped one would (the protection hook is the same hook), and a stage-2
    // entry that needs its addresses evicts it (`tlbRemove(overlapping:)`).

    /// Unicorn 2.0's map is by VA, so it cannot keep both; a run with allocation
    /// tags sets its own page permissions (MemoryTags.swift).
    var parksIdentityMap: Bool { Engine.mapsPhysicalAddresses && tagging == nil }

    /// What stage 2 off maps: the devices, then host RAM (in 2 MiB-aligned chunks when parked).
    private func identityMap() -> [(base: UInt64, size: UInt64, host: UnsafeMutableRawPointer?, device: PhysicalDevice?)] {
        var map: [(base: UInt64, size: UInt64, host: UnsafeMutableRawPointer?, device: PhysicalDevice?)] = physicalDevices.map { ($0.base, $0.size, nil, $0) }
        let chunk: UInt64 = parksIdentityMap ? 1 << 21 : 1 << 63
        for r in memory.regions {
            var a = r.base
            while a < r.base &+ r.size {
                let end = min((a & ~(chunk - 1)) &+ chunk, r.base &+ r.size)
                map.append((a, end &- a, r.pointer + Int(a &- r.base), nil))
                a = end
            }
        }
        return map
    }

    /// Entering stage 2 off: parked entries get their permissions back, the rest is mapped.
    private func enterIdentityMap() {
        var unparked: [(address: UInt64, size: UInt64)] = []
        for m in identityMap() {
            let e = Stage2TLB.Entry(size: m.size, host: m.host)
            if tlb.parked.removeValue(forKey: m.base) != nil {
                unparked.append((m.base, m.size))
            } else if let d = m.device {
                guard (try? engine.mapMMIO(address: d.base, size: d.size,
                                           read: { [unowned(unsafe) self] in self.hookRan(); return d.read($0, $1) },
                                           write: { [unowned(unsafe) self] in self.hookRan(); d.write($0, $1, $2) })) != nil else { continue }
            } else if let p = m.host {
                guard (try? engine.map(address: m.base, size: m.size, permissions: .all, pointer: p)) != nil else { continue }
            }
            tlb.insert(e, at: m.base)
        }
        try? engine.protect(unparked, permissions: .all)
    }

    /// Leaving stage 2 off: its entries stay in Unicorn's map, with no permission.
    private func parkIdentityMap() {
        var ranges: [(address: UInt64, size: UInt64)] = []
        for m in identityMap() {
            guard let e = tlb.entries[m.base], e.size == m.size, e.host == m.host, e.permissions == .all else { continue }
            _ = tlb.remove(at: m.base)
            tlb.parked[m.base] = e
            ranges.append((m.base, m.size))
        }
        tlb.lastFetch = nil
        try? engine.protect(ranges, permissions: [])
    }

    /// Entering a stage-2 regime: the parked entries under IPAs its tables may
    /// map leave Unicorn's map now. A fill from a protection hook cannot replace
    /// one: Unicorn goes on with the TLB entry it had before the hook.
    private func evictParkedStage2Maps() {
        let steps = faults.lastWalkSteps
        defer { faults.lastWalkSteps = steps }
        for (b, e) in tlb.parked {
            // A translation fault at level 2 or above: nothing in that 2 MiB is mapped.
            let blocks = stride(from: b & ~0x1F_FFFF, to: b &+ e.size, by: 1 << 21)
            if blocks.allSatisfy({ if case .fault(.translation(let level)) = stage2Walk($0, counted: false) { level <= 2 } else { false } }) { continue }
            evictParked(at: b, e)
        }
    }

    /// A parked entry under `ipa` that the stage 2 in use maps (another PE's
    /// host mapped it since the switch): out of Unicorn's map; the access starts again.
    func evictParkedMapped(_ ipa: UInt64) -> Bool {
        guard let (b, e) = tlb.parked.first(where: { ipa &- $0.key < $0.value.size }),
              case .mapped = stage2Walk(ipa, counted: false) else { return false }
        evictParked(at: b, e)
        return true
    }

    /// Removes the parked entry at `base` from Unicorn's map.
    private func evictParked(at base: UInt64, _ e: Stage2TLB.Entry) {
        tlb.parked[base] = nil
        try? engine.unmap(address: base, size: e.size)
    }

    /// Removes the parked entries that overlap [base, base+size) from Unicorn's map.
    private func evictParked(overlapping base: UInt64, size: UInt64) {
        for (b, e) in tlb.parked where b < base &+ size && base < b &+ e.size {
            evictParked(at: b, e)
        }
    }

    func deviceAt(_ pa: UInt64) -> PhysicalDevice? {
        physicalDevices.first { pa >= $0.base && pa &- $0.base < $0.size }
    }

    /// A guest hypervisor's stage 2 maps the page of `ipa` onto device `d`
    /// (its GIC, passed through): the device's page is entered at the IPA,
    /// its accesses reach the device at the PA.
    func deviceFill(_ d: PhysicalDevice, _ m: Stage2Mapping, for ipa: UInt64) -> Bool {
        let page = ipa & ~0xFFF, offset = m.paBase &+ (page &- m.ipaBase) &- d.base
        tlbRemove(overlapping: page, size: 4096)
        do {
            try engine.mapMMIO(address: page, size: 4096,
                               read: { [unowned(unsafe) self] in self.hookRan(); return d.read(offset &+ $0, $1) },
                               write: { [unowned(unsafe) self] in self.hookRan(); d.write(offset &+ $0, $1, $2) })
        } catch { return false }
        tlb.insert(.init(size: 4096), at: page)
        tlb.fills &+= 1
        return true
    }

    /// Enters a translation; false when its output is not host memory.
    func tlbFill(_ m: Stage2Mapping, for ipa: UInt64) -> Bool {
        // QEMU allows fewer than 4096 memory sections: drop everything rather than
        // exceed it (an implementation may evict TLB entries at any time).
        if tlb.entries.count >= Stage2TLB.maxEntries { tlbFlushAll() }
        if ownEL2 != nil, let d = deviceAt(m.paBase &+ ((ipa & ~0xFFF) &- m.ipaBase)) { return deviceFill(d, m, for: ipa) }
        var base = m.ipaBase, pa = m.paBase, size = m.size
        if m.level == 3 { (base, pa, size) = coalescedRun(m) }
        if memory.pointer(pa, count: Int(size)) == nil || tagging != nil && size > 4096 && !memory.tags.taggedPages(pa, size: size).isEmpty {
            // The block straddles host regions, or holds a page with tags (MemoryTags.swift): enter just the page.
            let off = (ipa & ~0xFFF) &- base
            base = ipa & ~0xFFF; pa = m.paBase &+ off; size = 4096
        }
        guard let p = memory.pointer(pa, count: Int(size)) else { return tlbFillGICV(m, for: ipa) }   // GICVFrame.swift
        tlbRemove(overlapping: base, size: size)
        var perms: MemoryPermissions = []
        if m.readable { perms.insert(.read) }
        if m.writable { perms.insert(.write) }
        if m.executable { perms.insert(.exec) }
        // A page holding tags: its loads and stores come to the model (MemoryTags.swift).
        if tagging != nil && memory.tags.holdsTags(page: pa) { perms = perms.intersection(.exec) }
        do { try engine.map(address: base, size: size, permissions: perms, pointer: p) } catch { return false }
        tlb.insert(.init(size: size, permissions: perms, host: p), at: base)
        tlb.fills &+= 1
        return true
    }

    /// The pages around a level-3 mapping that its table maps to contiguous
    /// host memory with the same attributes, entered as one mapping (a TLB
    /// may combine contiguous entries) so that demand-paged RAM does not
    /// become thousands of Unicorn regions: the largest aligned run of 2^k
    /// pages that holds the page and only such pages. Aligned, so that RAM
    /// mapped page by page joins up in at most 9 steps per page: a run that
    /// grew by one page at a time was unmapped and mapped again whole for
    /// each new page, and Unicorn flushes its TLB page by page on an unmap.
    func coalescedRun(_ m: Stage2Mapping) -> (UInt64, UInt64, UInt64) {
        let index = Int((m.ipaBase >> 12) & 511)
        guard let leaf = memory.read64(m.tablePA &+ UInt64(index) &* 8) else { return (m.ipaBase, m.paBase, m.size) }
        let attributes: UInt64 = 0x0040_0000_0000_07FC   // XN, AF, SH, S2AP, MemAttr
        func matches(_ i: Int) -> Bool {
            guard let d = memory.read64(m.tablePA &+ UInt64(i) &* 8), d & 3 == 3 else { return false }
            return d & attributes == leaf & attributes
                && d & 0x0000_FFFF_FFFF_F000 == m.paBase &+ UInt64(bitPattern: Int64(i - index) &* 4096)
        }
        // Grow the run from one page, doubling while the other half matches too.
        var lo = index, pages = 1
        while pages < 512 {
            let buddy = lo ^ pages
            guard (buddy..<buddy + pages).allSatisfy(matches) else { break }
            lo = min(lo, buddy)
            pages *= 2
        }
        let base = m.ipaBase &- UInt64(index - lo) &* 4096, pa = m.paBase &- UInt64(index - lo) &* 4096
        let size = UInt64(pages) &* 4096
        return memory.pointer(pa, count: Int(size)) != nil ? (base, pa, size) : (m.ipaBase, m.paBase, m.size)
    }

    /// Removes every entry (and parked entry) that overlaps [base, base+size).
    func tlbRemove(overlapping base: UInt64, size: UInt64) {
        if !tlb.parked.isEmpty { evictParked(overlapping: base, size: size) }
        var victims: [UInt64] = []
        if size <= 1 << 21 {
            // Candidates: entries starting in the 2 MiB block up to the range's
            // end (page runs never cross a level-3 table, a 2 MiB block starts at
            // the first page), last first down to the first that starts at or
            // below `base` (entries do not overlap), and a 1 GiB block.
            var next = tlb.startBelow(base &+ size &- 1)
            while let a = next {
                if let e = tlb.entries[a], a &+ e.size > base { victims.append(a) }
                if a <= base { break }
                next = tlb.startBelow(a &- 4096)
            }
            let gigabyte = base & ~((1 << 30) - 1)
            if gigabyte < base & ~((1 << 21) - 1), let e = tlb.entries[gigabyte], gigabyte &+ e.size > base { victims.append(gigabyte) }
        } else {
            victims = tlb.entries.filter { $0.key < base &+ size && base < $0.key &+ $0.value.size }.map(\.key)
        }
        for v in victims { tlbRemove(entryAt: v) }
    }

    func tlbRemove(entryAt base: UInt64) {
        guard let e = tlb.remove(at: base) else { return }
        tlb.lastFetch = nil
        try? engine.unmap(address: base, size: e.size)
        tlb.invalidations &+= 1
    }

    func tlbFlushAll() {
        for base in Array(tlb.entries.keys) { tlbRemove(entryAt: base) }
    }

    /// TLB maintenance from EL2 (or the split-mode host): applies to the VMID
    /// in VTTBR_EL2 now, as the architecture says.
    public func tlbi(_ op: TLBIOperation, _ xt: UInt64 = 0) {
        count(.tlbMaintenance)
        let vmid = VTTBR(raw: el2.vttbr).vmid
        invalidate(op, xt, vmid: vmid)
        switch op {
        case .vmalls12e1is, .ipas2e1is, .vmalle1is:
            for peer in innerShareablePeers() where peer !== self { peer.invalidate(op, xt, vmid: vmid) }
        default: break
        }
    }

    /// What a TLBI for `vmid` removes from this PE's TLB.
    func invalidate(_ op: TLBIOperation, _ xt: UInt64, vmid: UInt16) {
        guard tlb.regime?.vmid == vmid else { return }
        faults.lastMiss = ((0, 0), 0)   // a refill after this is progress, not a loop
        switch op {
        case .vmalls12e1, .vmalls12e1is:
            tlbFlushAll()
        case .ipas2e1, .ipas2e1is:
            tlbRemove(overlapping: (xt & 0xF_FFFF_FFFF) << 12, size: 4096)
        case .vmalle1, .vmalle1is:
            break   // stage 1 lives in QEMU's own TLB, which the guest's MMU changes keep coherent
        }
    }

    /// The number of stage-2 TLB fills and invalidations so far.
    public var stage2TLBStatistics: (fills: Int, invalidations: Int) { (tlb.fills, tlb.invalidations) }

    /// Host time Unicorn spent changing its memory map (the TLB's fills and invalidations, mostly).
    public var memoryMapTime: Duration { engine.memoryMapTime }
}
