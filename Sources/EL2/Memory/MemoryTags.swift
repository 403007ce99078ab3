import AArch64
import Unicorn

/// The Allocation Tags of physical memory (FEAT_MTE): one 4-bit tag per
/// 16-byte granule of host RAM, kept sparse (a granule never tagged holds 0).
public struct AllocationTags {
    private var granules: [UInt64: UInt8] = [:]
    /// How many granules of each 4 KiB page hold a non-zero tag.
    private var nonZero: [UInt64: Int] = [:]

    public func tag(_ pa: UInt64) -> UInt8 { granules[pa >> 4] ?? 0 }

    /// Sets a granule's tag; true when its page holds a non-zero tag for the first time.
    mutating func set(_ pa: UInt64, _ tag: UInt8) -> Bool {
        let g = pa >> 4, page = pa >> 12, t = tag & 0xF
        let old = granules[g] ?? 0
        guard old != t else { return false }
        granules[g] = t == 0 ? nil : t
        if old == 0 {
            nonZero[page, default: 0] += 1
            return nonZero[page] == 1
        }
        if t == 0 {
            let n = (nonZero[page] ?? 1) - 1
            nonZero[page] = n == 0 ? nil : n
        }
        return false
    }

    /// Does the page of `pa` hold a non-zero tag?
    public func holdsTags(page pa: UInt64) -> Bool { !nonZero.isEmpty && nonZero[pa >> 12] != nil }

    /// The pages in [pa, pa + size) that hold non-zero tags, in order.
    func taggedPages(_ pa: UInt64, size: UInt64) -> [UInt64] {
        guard !nonZero.isEmpty else { return [] }
        let first = pa >> 12, end = (pa &+ size &+ 4095) >> 12
        let pages = end &- first <= UInt64(nonZero.count)
            ? (first..<end).filter { nonZero[$0] != nil }
            : nonZero.keys.filter { $0 >= first && $0 < end }.sorted()
        return pages.map { $0 << 12 }
    }
}

/// The PE's MTE registers (none of them exists in Unicorn) and PSTATE.TCO.
struct MemoryTaggingRegisters {
    var tfsrEL1: UInt64 = 0, tfsre0EL1: UInt64 = 0, tfsrEL2: UInt64 = 0
    var gcr: UInt64 = 0, rgsr: UInt64 = 0
    var tco = false
}

/// FEAT_MTE3 on a CPU that has none: the MTE instructions are UNDEFINED in
/// Unicorn and emulated from that exception; the MTE registers are served
/// from the MRS/MSR hook; a page of RAM holding a non-zero Allocation Tag is
/// kept out of Unicorn's map for data accesses (entered execute-only), so
/// every load and store to it comes here as a TLB miss, is checked against
/// the tags as the Arm ARM's AArch64.CheckTag says and, unless a synchronous
/// Tag Check Fault is taken, performed here. A page whose tags are all 0 is
/// left to Unicorn: an access to it with a non-zero tag in Tagged memory is
/// not checked (the one simplification; kvm-unit-tests and Linux tag what they check).
extension Processor {
    /// Offers FEAT_MTE3 (ID_AA64PFR1_EL1.MTE = 3): QEMU's `-machine mte=on`.
    public func enableMemoryTagging() { tagging = MemoryTaggingRegisters() }

    public var offersMemoryTagging: Bool { tagging != nil }

    /// Why FEAT_MTE cannot be offered on this Unicorn, if it cannot: the map
    /// that keeps tagged pages out must be keyed by physical address (2.1).
    public static var memoryTaggingUnavailable: String? {
        Engine.mapsPhysicalAddresses ? nil
            : "Unicorn \(Engine.version.major).\(Engine.version.minor).\(Engine.version.patch) (UNICORN=2.0) looks its memory map up by virtual address, where el2emu cannot keep pages holding tags out; memory tagging needs Unicorn 2.1 or newer, el2emu's default build"
    }

    /// ID_AA64PFR1_EL1 as this PE reads it.
    func idAA64PFR1() -> UInt64 {
        let v = syncedEngine.read(SystemRegisterID(.ID_AA64PFR1_EL1)) ?? 0
        return v & ~(0xF << MemoryTagging.idFieldShift) | MemoryTagging.mte3 << MemoryTagging.idFieldShift
    }

    // MARK: Where the PE is

    private struct TagContext {
        var el0: Bool
        var atEL2: Bool
        var sctlr: UInt64
        var tcr: UInt64
    }

    private func tagContext() -> TagContext {
        let el0 = ProcessorState(raw: engine.read(.pstate)).exceptionLevel == 0
        return TagContext(el0: el0, atEL2: !el0 && runsGuestEL2Code,
                          sctlr: syncedEngine.read(SystemRegisterID(.SCTLR_EL1)) ?? 0,
                          tcr: syncedEngine.read(SystemRegisterID(.TCR_EL1)) ?? 0)
    }

    /// AllocationTagAccessIsEnabled: SCTLR_ELx.ATA/ATA0, and HCR_EL2.ATA for EL1/EL0 outside EL2&0.
    private func tagAccessEnabled(_ c: TagContext) -> Bool {
        guard MemoryTagging.allocationTagAccess(c.sctlr, el0: c.el0) else { return false }
        return c.atEL2 || inHostRegime || el2.hcr.contains(.ATA)
    }

    /// Is the stage-1 output of the last walk Tagged memory (MAIR attribute 0xF0)?
    private func lastWalkTagged() -> Bool {
        guard let index = faults.lastAttrIndx else { return false }
        let mair = syncedEngine.read(SystemRegisterID(.MAIR_EL1)) ?? 0
        return UInt8(truncatingIfNeeded: mair >> (UInt64(index) * 8)) == MemoryTagging.taggedAttribute
    }

    /// VA -> (PA, IPA, Tagged?) without filling the TLB; nil when either stage faults.
    private func tagTranslate(_ va: UInt64, _ kind: MemoryAccessKind) -> (pa: UInt64, ipa: UInt64, tagged: Bool)? {
        let saved = countingEnabled
        countingEnabled = false
        defer { countingEnabled = saved }
        guard case (.ipa(let ipa), _) = stage1Translate(va, kind, fillTables: true) else { return nil }
        let tagged = lastWalkTagged()
        guard case .mapped(let m) = stage2Translate(ipa, kind), m.permits(kind) else { return nil }
        return (m.paBase &+ (ipa &- m.ipaBase), ipa, tagged)
    }

    /// The abort an access at `va` takes (either stage), entered now.
    private func takeTranslationAbort(_ kind: MemoryAccessKind, va: UInt64, pc: UInt64, access: LoadStore?) {
        switch resolveAccess(kind, va: va, pc: pc, access: access) {
        case .abort(let p):
            faults.pendingAbort = p
            _ = takePendingAbort()
        case .stopped: break
        case .filled, .tagged:
            requestStop(.error("guest access at 0x\(String(va, radix: 16)) (pc 0x\(String(pc, radix: 16))): the model's translation disagrees with itself"))
        }
    }

    /// A data abort of the instruction at `pc` without an instruction syndrome: an alignment or
    /// Tag Check Fault, or data outside RAM (nothing answers there: an external abort, as `resolveAccess` gives).
    private func dataAbort(_ status: FaultStatus, va: UInt64, isWrite: Bool, pc: UInt64) {
        let fromEL0 = ProcessorState(raw: engine.read(.pstate)).mode == .el0t
        enterEL1(kind: 0, esr: .dataAbort(lowerEL: fromEL0, status: status, isWrite: isWrite), returnPC: pc, far: va)
    }

    /// A page just got its first non-zero tag: every PE leaves it out of its map from now on.
    private func tagsArrived(pa: UInt64, ipa: UInt64) {
        for peer in [self] + innerShareablePeers().filter({ $0 !== self }) {
            if peer.tlb.regime == .identity, let r = memory.region(containing: pa) {
                // Stage 2 off: RAM is entered whole; enter it again around its tagged pages.
                peer.tlbRemove(overlapping: r.base, size: r.size)
                var start = r.base
                for page in memory.tags.taggedPages(r.base, size: r.size) + [r.base &+ r.size] {
                    if page > start, (try? peer.engine.map(address: start, size: page &- start, permissions: .all,
                                                          pointer: r.pointer + Int(start &- r.base))) != nil {
                        peer.tlb.insert(.init(size: page &- start, host: r.pointer + Int(start &- r.base)), at: start)
                    }
                    start = page &+ 4096
                }
            } else {
                peer.tlbRemove(overlapping: ipa & ~0xFFF, size: 4096)
            }
        }
    }

    // MARK: MRS/MSR

    /// An MRS/MSR of an MTE register (Unicorn has none: the access ends the block).
    func memoryTaggingRegisterAccess(_ r: SystemRegister, _ rt: Register, _ n: Int, _ value: UInt64, isRead: Bool, pc: UInt64) -> Bool {
        guard var t = tagging else { return false }
        engine.blockEndsAfterHook = true
        let c = tagContext()
        let e2h = c.atEL2 && el2.hcr.contains(.E2H)
        // UNDEFINED at EL0 but TCO; the *_EL2 and *_EL12 forms from EL2 only (the latter with E2H).
        if c.el0 && r != .TCO || r.op1 == 4 && !c.atEL2 || r.op1 == 5 && !e2h || r == .GMID_EL1 && !isRead {
            undefinedToEL1(pc: pc)
            return true
        }
        let v = n < 31 ? value : 0
        var read: UInt64 = 0
        switch r {
        case .TFSR_EL1 where e2h, .TFSR_EL2:
            if isRead { read = t.tfsrEL2 } else { t.tfsrEL2 = v & 3 }
        case .TFSR_EL1, .TFSR_EL12:
            if isRead { read = t.tfsrEL1 } else { t.tfsrEL1 = v & 3 }
        case .TFSRE0_EL1:
            if isRead { read = t.tfsre0EL1 } else { t.tfsre0EL1 = v & 3 }
        case .GCR_EL1, .GCR_EL12:
            if isRead { read = t.gcr } else { t.gcr = v & 0x1_FFFF }
        case .RGSR_EL1:
            if isRead { read = t.rgsr } else { t.rgsr = v & 0xFF_FF0F }
        case .GMID_EL1:
            read = MemoryTagging.gmidBlockSize
        default:   // TCO
            if isRead { read = t.tco ? 1 << 25 : 0 } else { t.tco = v & (1 << 25) != 0 }
        }
        tagging = t
        if isRead && n < 31 { gprsWillChange(); engine.write(rt, read) }
        engine.write(.pc, pc &+ 4)
        return true
    }

    // MARK: The MTE instructions

    /// An UNDEFINED instruction that is one of MTE's: emulated; false if it is not.
    func memoryTaggingInstruction(_ word: UInt32, pc: UInt64) -> Bool {
        guard tagging != nil, let insn = TagInstruction(word) else { return false }
        let c = tagContext()
        func xOrSP(_ n: Int) -> UInt64 { n == 31 ? engine.read(.sp) : engine.read(.x(n)) }
        func x(_ n: Int) -> UInt64 { n == 31 ? 0 : engine.read(.x(n)) }
        func setXOrSP(_ n: Int, _ v: UInt64) { if n == 31 { engine.write(.sp, v) } else { engine.write(.x(n), v) } }
        gprsWillChange()
        let enabled = tagAccessEnabled(c)
        switch insn {
        case .storeTag(let rt, let rn, let addressing, let granules, let zero):
            let base = xOrSP(rn), address = effectiveAddress(base, addressing)
            if !storeTags(address, tag: MemoryTagging.tag(of: xOrSP(rt)), granules: granules, zero: zero,
                          data: nil, enabled: enabled, pc: pc) { return true }
            if case .offset = addressing {} else { setXOrSP(rn, writtenBack(base, addressing)) }
        case .storeTagPair(let rt, let rt2, let rn, let addressing):
            let base = xOrSP(rn), address = effectiveAddress(base, addressing)
            if !storeTags(address, tag: MemoryTagging.tag(of: address), granules: 1, zero: false,
                          data: (x(rt), x(rt2)), enabled: enabled, pc: pc) { return true }
            if case .offset = addressing {} else { setXOrSP(rn, writtenBack(base, addressing)) }
        case .loadTag(let rt, let rn, let offset):
            let address = (xOrSP(rn) &+ UInt64(bitPattern: offset)) & ~(MemoryTagging.granule - 1)
            guard let p = tagTranslate(address, .read) else {
                takeTranslationAbort(.read, va: address, pc: pc, access: nil)
                return true
            }
            let tag = enabled && p.tagged ? memory.tags.tag(p.pa) : 0
            if rt < 31 { engine.write(.x(rt), MemoryTagging.address(x(rt), withTag: tag)) }
        case .insertRandomTag(let rd, let rn, let rm):
            let exclude = UInt16(truncatingIfNeeded: tagging!.gcr | x(rm))
            setXOrSP(rd, MemoryTagging.address(xOrSP(rn), withTag: enabled ? randomTag(exclude: exclude) : 0))
        case .addTag(let rd, let rn, let offset, let tagOffset):
            let operand = xOrSP(rn)
            let tag = enabled ? MemoryTagging.nonExcludedTag(MemoryTagging.tag(of: operand), offset: tagOffset,
                                                             exclude: UInt16(truncatingIfNeeded: tagging!.gcr)) : 0
            setXOrSP(rd, MemoryTagging.address(operand &+ UInt64(bitPattern: offset), withTag: tag))
        case .tagMaskInsert(let rd, let rn, let rm):
            if rd < 31 { engine.write(.x(rd), x(rm) | 1 << UInt64(MemoryTagging.tag(of: xOrSP(rn)))) }
        case .subtractPointer(let rd, let rn, let rm):
            func address56(_ v: UInt64) -> UInt64 { UInt64(bitPattern: Int64(bitPattern: v << 8) >> 8) }
            if rd < 31 { engine.write(.x(rd), address56(xOrSP(rn)) &- address56(xOrSP(rm))) }
        case .setTCO(let on):
            tagging!.tco = on
        }
        engine.write(.pc, pc &+ 4)
        return true
    }

    private func effectiveAddress(_ base: UInt64, _ a: LoadStore.Addressing) -> UInt64 {
        if case .offset(let i) = a { return base &+ UInt64(bitPattern: i) }
        if case .preIndex(let i) = a { return base &+ UInt64(bitPattern: i) }
        return base
    }

    private func writtenBack(_ base: UInt64, _ a: LoadStore.Addressing) -> UInt64 {
        if case .preIndex(let i) = a { return base &+ UInt64(bitPattern: i) }
        if case .postIndex(let i) = a { return base &+ UInt64(bitPattern: i) }
        return base
    }

    /// STG/STZG/ST2G/STZ2G/STGP: `granules` granules at `address` get `tag`
    /// (in Tagged memory, with tag access enabled); the zeroing forms clear
    /// the data, STGP stores its pair. False when an abort was taken.
    private func storeTags(_ address: UInt64, tag: UInt8, granules: Int, zero: Bool, data: (UInt64, UInt64)?,
                           enabled: Bool, pc: UInt64) -> Bool {
        guard address & (MemoryTagging.granule - 1) == 0 else {
            dataAbort(.alignment, va: address, isWrite: true, pc: pc)
            return false
        }
        for i in 0..<granules {
            let va = address &+ UInt64(i) &* MemoryTagging.granule
            guard let p = tagTranslate(va, .write) else {
                takeTranslationAbort(.write, va: va, pc: pc, access: nil)
                return false
            }
            if zero || data != nil {
                guard let host = memory.pointer(p.pa, count: 16) else {
                    dataAbort(.synchronousExternal, va: va, isWrite: true, pc: pc)
                    return false
                }
                host.storeBytes(of: (data?.0 ?? 0).littleEndian, as: UInt64.self)
                (host + 8).storeBytes(of: (data?.1 ?? 0).littleEndian, as: UInt64.self)
            }
            if enabled && p.tagged && memory.region(containing: p.pa) != nil && memory.tags.set(p.pa, tag) {
                tagsArrived(pa: p.pa, ipa: p.ipa)
            }
        }
        return true
    }

    /// Arm ARM ChooseRandomNonExcludedTag with GCR_EL1.RRND = 0: RGSR_EL1's
    /// LFSR seed gives the offset from its last tag (deterministic, as the ARM ARM's).
    private func randomTag(exclude: UInt16) -> UInt8 {
        var rgsr = tagging!.rgsr
        var seed = UInt16(truncatingIfNeeded: rgsr >> 8)
        if seed == 0 { seed = 1 }
        var offset: UInt8 = 0
        for i in 0..<4 {
            let top = (seed >> 5 ^ seed >> 3 ^ seed >> 2 ^ seed) & 1
            seed = top << 15 | seed >> 1
            offset |= UInt8(seed & 1) << UInt8(i)
        }
        let tag = MemoryTagging.nonExcludedTag(UInt8(rgsr & 0xF), offset: offset, exclude: exclude)
        rgsr = UInt64(seed) << 8 | UInt64(tag)
        tagging!.rgsr = rgsr
        return tag
    }

    // MARK: Tag-checked loads and stores

    /// A load or store that reached a page holding tags (a TLB miss there):
    /// checked (a synchronous Tag Check Fault is taken, an asynchronous one
    /// accumulated in TFSR_ELx) and performed, the PC stepped past it.
    /// Called where a PC write takes effect (a code hook, the run loop).
    func tagCheckedAccess(pc: UInt64) {
        guard let word = instructionWord(at: pc), let ls = LoadStore(word) else {
            requestStop(.error("guest access to a page holding allocation tags at pc 0x\(String(pc, radix: 16)) from an instruction the model does not decode"))
            return
        }
        // Structure loads/stores and exclusive stores (their status register) are not emulated.
        if word & 0xBE00_0000 == 0x0C00_0000 || ls.isExclusive && !ls.isLoad {
            requestStop(.error("guest access to a page holding allocation tags at pc 0x\(String(pc, radix: 16)): el2emu does not emulate this load/store form (0x\(String(word, radix: 16))) there"))
            return
        }
        let c = tagContext()
        let sp = engine.read(.sp)
        func x(_ n: Int) -> UInt64 { n == 31 ? 0 : engine.read(.x(n)) }
        let oldBase = ls.rn == 31 ? sp : x(ls.rn)
        let va = ls.address(pc: pc, sp: sp) { self.engine.read(.x($0)) }
        let kind: MemoryAccessKind = ls.isLoad ? .read : .write
        let total = UInt64(ls.totalBytes)
        // The access's pieces, one per page it touches.
        var pieces: [(va: UInt64, pa: UInt64, count: Int, tagged: Bool)] = []
        var at = va
        while at &- va < total {
            let count = min(total &- (at &- va), 4096 &- (at & 0xFFF))
            guard let p = tagTranslate(at, kind) else {
                takeTranslationAbort(kind, va: at, pc: pc, access: ls)
                return
            }
            guard memory.pointer(p.pa, count: Int(count)) != nil else {
                dataAbort(.synchronousExternal, va: at, isWrite: !ls.isLoad, pc: pc)
                return
            }
            pieces.append((at, p.pa, Int(count), p.tagged))
            at &+= count
        }
        // AArch64.AccessIsTagChecked, then AArch64.CheckTag granule by granule (DC ZVA's block too, as QEMU's mte_check_zva).
        let mode = MemoryTagging.tcf(c.sctlr, el0: c.el0)
        let checked = mode != .none && MemoryTagging.topByteIgnored(c.tcr, va) && !MemoryTagging.unchecked(byTCMA: c.tcr, va)
            && tagAccessEnabled(c) && !tagging!.tco
        if checked {
            let tag = MemoryTagging.tag(of: va)
            let mismatch = pieces.contains { p in
                p.tagged && stride(from: p.pa & ~(MemoryTagging.granule - 1), to: p.pa &+ UInt64(p.count), by: Int(MemoryTagging.granule))
                    .contains { memory.tags.tag($0) != tag }
            }
            if mismatch {
                if mode.isSynchronous(isLoad: ls.isLoad) {
                    dataAbort(.tagCheck, va: va, isWrite: !ls.isLoad, pc: pc)
                    return
                }
                let bit = MemoryTagging.tfsrBit(for: va)
                if c.el0 { tagging!.tfsre0EL1 |= bit } else if c.atEL2 { tagging!.tfsrEL2 |= bit } else { tagging!.tfsrEL1 |= bit }
            }
        }
        // Perform it: the bytes, in order, through the pieces.
        var bytes = [UInt8](repeating: 0, count: Int(total))
        func copy(toMemory: Bool) {
            var offset = 0
            for p in pieces {
                let host = memory.pointer(p.pa, count: p.count)!
                bytes.withUnsafeMutableBytes { b in
                    if toMemory { host.copyMemory(from: b.baseAddress! + offset, byteCount: p.count) }
                    else { (b.baseAddress! + offset).copyMemory(from: host, byteCount: p.count) }
                }
                offset += p.count
            }
        }
        let registers = ls.rt2.map { [ls.rt, $0] } ?? [ls.rt]
        if ls.isLoad {
            copy(toMemory: false)
            for (i, r) in registers.enumerated() {
                let chunk = Array(bytes[i * ls.size ..< (i + 1) * ls.size])
                var low: UInt64 = 0, high: UInt64 = 0
                for (j, b) in chunk.enumerated() { if j < 8 { low |= UInt64(b) << UInt64(j * 8) } else { high |= UInt64(b) << UInt64((j - 8) * 8) } }
                if ls.isVector { engine.writeVector(r, low: low, high: high); continue }
                guard r < 31 else { continue }
                if ls.signExtend && ls.size < 8 {
                    let shift = UInt64(64 - ls.size * 8)
                    low = UInt64(bitPattern: Int64(bitPattern: low << shift) >> shift)
                    if !ls.sixtyFourBit { low &= 0xFFFF_FFFF }
                }
                engine.write(.x(r), low)
            }
        } else if ls.addressing != .alignedDown(64) {
            for (i, r) in registers.enumerated() {
                let (low, high) = ls.isVector ? engine.readVector(r) : (x(r), 0)
                for j in 0..<ls.size { bytes[i * ls.size + j] = UInt8(truncatingIfNeeded: (j < 8 ? low >> UInt64(j * 8) : high >> UInt64((j - 8) * 8))) }
            }
            copy(toMemory: true)
        } else {
            copy(toMemory: true)   // DC ZVA: zeros
        }
        switch ls.addressing {
        case .preIndex(let i), .postIndex(let i):
            let base = oldBase &+ UInt64(bitPattern: i)
            if ls.rn == 31 { engine.write(.sp, base) } else { engine.write(.x(ls.rn), base) }
        default: break
        }
        gprsWillChange()
        engine.write(.pc, pc &+ 4)
    }
}
