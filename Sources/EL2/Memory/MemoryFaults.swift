import AArch64
import Unicorn

/// The aborts memory hooks find and the walks behind them.
struct FaultTracking {
    /// An abort a memory hook found, entered once Unicorn has stopped.
    var pendingAbort: PendingAbort?
    /// A memory hook stopped Unicorn to have the access's PC exact: run it again.
    var retriesStoppedAccess = false
    /// The model's walk of non-VHE EL2's regime refused a TLB fill (a fetch: true):
    /// Unicorn stopped at the access, whose stage-1 abort is taken at EL2.
    var guestEL2RegimeFault: Bool?
    /// Descriptors the last stage-2 walk read.
    var lastWalkSteps = 0
    /// The steps of a walk that faulted, reported with the exception entry it leads to.
    var walkStepsToBook = 0
    /// Loads/stores that took a stage-2 data abort, watched by a code hook.
    var accessSites: [UInt64: (word: UInt32, access: LoadStore)] = [:]
    /// The last TLB miss (pc, address) and how often it repeated.
    var lastMiss: (pc_va: (UInt64, UInt64), repeats: Int) = ((0, 0), 0)
    /// AttrIndx of the leaf of the last stage-1 walk that gave an IPA (nil: MMU off).
    var lastAttrIndx: Int?
}

/// An abort found in a memory hook, taken once Unicorn has stopped: memory
/// hooks cannot move the PC, so the exception is entered from the run loop.
enum PendingAbort {
    /// A stage-2 fault: to EL2 with ESR/FAR/HPFAR_EL2.
    case toEL2(esr: ExceptionSyndrome, elr: UInt64, far: UInt64, hpfar: UInt64)
    /// A fault on the guest's own stage 1: to its EL1 vectors.
    case toEL1(esr: ExceptionSyndrome, pc: UInt64, far: UInt64)
    /// A load/store to a page holding allocation tags: checked and performed (MemoryTags.swift).
    case tagChecked(pc: UInt64)
}

/// Stage-2 faults, TLB misses and stage-1 faults, from Unicorn's hooks.
///
/// PC precision: Unicorn 2.0.1 updates the PC in memory hooks only for
/// instructions translated while a UC_HOOK_MEM_READ/WRITE hook's range
/// covers them, so there `installHooks` adds an empty C hook over all
/// addresses (`Engine.syncPCOnMemoryAccess`). That hook sends every load and
/// store through QEMU's slow path (+20-30 % on a load/store-bound loop on
/// 2.0.1, 2.5x on 2.1.4, whose fast path is faster). Unicorn 2.1.4 restores
/// the PC itself before it calls the hook, unless a PC write (uc_reg_write)
/// asked it not to and no exit check after a memory access has consumed that
/// request yet. Hooks after which the block ends write the PC without asking
/// (`Engine.blockEndsAfterHook`); a code hook's request is consumed by the
/// exit check right after it. While a request may stand (a PC write since the
/// last `start`), the hook stops Unicorn, which then restores the PC to the
/// access (a read as it stops, a skipped write at the exit check after it),
/// and `run` starts the access again (`faults.retriesStoppedAccess`). A request that
/// outlived its block would instead leave the PC at an earlier instruction,
/// and the instructions between would run twice (kvm-unit-tests' timer did,
/// before the MRS/MSR hooks wrote the PC without asking; `pcsync` checks it).
/// Either way, in the hook the PC is
/// the faulting load/store and the registers are as before it: the
/// syndrome is built by decoding that instruction, and returning false
/// stops Unicorn right there with nothing executed twice. Recovering the PC
/// by decoding the translation block instead cannot tell apart equal
/// accesses in one block.
/// Stopping that way is slow (~60 us), so a site that faulted once is then
/// handled by a code hook before it executes (`watchAccessSite`): MMIO exits
/// then cost what hypercalls cost (release build, this host: ~45k/s nVHE,
/// ~100-150k/s VHE). A TLB fill costs Unicorn a uc_mem_map (~55 us with its
/// unmap), so demand paging runs at ~2.5-3.5k faults/s; in steady state the
/// guest runs as fast with stage 2 on as off (Stage2Benchmarks).
extension Processor {
    /// A TLB miss or permission fault on Unicorn's map. Returns true when a
    /// valid translation was entered (Unicorn retries the access).
    func stage2Abort(_ access: MemoryAccess, address: UInt64, size: Int, value: Int64) -> Bool {
        guard stopReason == nil, faults.pendingAbort == nil else { return false }
        let kind: MemoryAccessKind = access == .fetch ? .fetch : access == .write ? .write : .read
        if !tlb.parked.isEmpty && Engine.mapsPhysicalAddresses && evictParkedMapped(address) {
            faults.retriesStoppedAccess = true
            return false
        }
        if kind != .fetch && Engine.restoresPCForMemoryFaults && engine.pcMayBeStaleInFaultHooks {
            // Unicorn restores the PC as it stops; `run` starts the access again.
            faults.retriesStoppedAccess = true
            return false
        }
        let pc = engine.read(.pc)
        let decoded = kind == .fetch ? nil : instructionWord(at: pc).flatMap(LoadStore.init)
        // An access that crosses into the next page may be reported by its first
        // byte: if that page is already there, the miss is on the last byte's.
        var reported = address
        if size > 1, tlbPermits(address, kind) { reported = address &+ UInt64(size - 1) }
        // Unicorn 2.0 reports the virtual address, 2.1 the physical one (the IPA).
        var va = reported
        if Engine.mapsPhysicalAddresses {
            guard let v = virtualAddress(ofReported: reported, kind, pc: pc, access: decoded) else {
                requestStop(.error("guest \(kind) at IPA 0x\(String(reported, radix: 16)) (pc 0x\(String(pc, radix: 16))): no virtual address of the instruction's access translates to it"))
                return false
            }
            va = v
        }
        switch resolveAccess(kind, va: va, pc: pc, access: decoded) {
        case .filled:
            // A fill that does not satisfy Unicorn would repeat forever: stop instead.
            if (pc, va) == faults.lastMiss.pc_va { faults.lastMiss.repeats += 1 } else { faults.lastMiss = ((pc, va), 0) }
            if faults.lastMiss.repeats > 16 {
                requestStop(.error("guest \(kind) at 0x\(String(va, radix: 16)) (pc 0x\(String(pc, radix: 16))) keeps missing in the stage-2 TLB"))
                return false
            }
            return true
        case .stopped: return false
        case .tagged:
            faults.pendingAbort = .tagChecked(pc: pc)
            return false
        case .abort(let p):
            faults.lastMiss = ((0, 0), 0)
            faults.pendingAbort = p
            return false
        }
    }

    /// `tagged`: a load/store to a page holding allocation tags, which the map leaves out.
    enum AccessResolution { case filled, abort(PendingAbort), stopped, tagged }

    /// Both stages for one access at `va` by the instruction at `pc`: a valid
    /// translation is entered into the TLB; otherwise the abort to take.
    func resolveAccess(_ kind: MemoryAccessKind, va: UInt64, pc: UInt64, access: LoadStore?) -> AccessResolution {
        let elr = kind == .fetch ? va : pc
        var ipa = va
        // TLB fills are the guest's time, not an exit's: walks here are booked only when they fault.
        let saved = countingEnabled
        countingEnabled = false
        let (s1, _) = stage1Translate(va, kind, fillTables: true)
        countingEnabled = saved
        switch s1 {
        case .ipa(let x):
            ipa = x
        case .fault(let f):
            return .abort(.toEL1(esr: stage1Syndrome(kind, f, pc: pc, access: access), pc: elr, far: va))
        case .walkFault(let tableIPA, let f):
            bookWalk()
            return .abort(.toEL2(esr: kind == .fetch ? .instructionAbort(status: f, s1ptw: true) : .dataAbort(status: f, isWrite: false, s1ptw: true),
                                 elr: elr, far: va, hpfar: HPFAR.encode(ipa: tableIPA)))
        case .unsupported(let why):
            requestStop(.error(why))
            return .stopped
        }
        countingEnabled = false
        let s2 = stage2Translate(ipa, kind)
        countingEnabled = saved
        switch s2 {
        case .mapped(let m):
            if kind != .fetch && tagging != nil && memory.tags.holdsTags(page: m.paBase &+ (ipa &- m.ipaBase)) { return .tagged }
            if ipa != va && !Engine.mapsPhysicalAddresses {
                // An abort needs no TLB entry, so only a fill is out of reach.
                requestStop(.error("the guest's stage 1 maps VA 0x\(String(va, radix: 16)) to IPA 0x\(String(ipa, radix: 16)) (pc 0x\(String(pc, radix: 16))): \(Engine.limitsOf2_0)"))
                return .stopped
            }
            if tlbFill(m, for: ipa) { return .filled }
            // Nothing answers at that physical address (stage 2 off, or a table
            // pointing past host memory): a synchronous external abort, as the bus gives.
            return .abort(.toEL1(esr: stage1Syndrome(kind, .synchronousExternal, pc: pc, access: access), pc: elr, far: va))
        case .fault(let f):
            bookWalk()
            let esr: ExceptionSyndrome = kind == .fetch ? .instructionAbort(status: f)
                : .dataAbort(status: f, isWrite: kind == .write, access: access)
            return .abort(.toEL2(esr: esr, elr: elr, far: va, hpfar: HPFAR.encode(ipa: ipa)))
        }
    }

    // MARK: Sites that faulted: handled before they execute

    /// Stopping Unicorn from a memory hook costs ~60 us (measured: the
    /// translation block is abandoned and Unicorn's loop restarts), so a
    /// load/store that took a stage-2 data abort once gets a code hook on its
    /// own address: from then on the model computes its address before it
    /// executes and, if it would fault (MMIO, typically), takes the abort
    /// there, where writing the PC works. An access the TLB already covers
    /// costs one dictionary lookup.
    func watchAccessSite(_ pc: UInt64) {
        guard faults.accessSites[pc] == nil, faults.accessSites.count < 4096,
              let w = instructionWord(at: pc), let ls = LoadStore(w) else { return }
        faults.accessSites[pc] = (w, ls)
        // The processor owns the engine and so outlives the hook: a guaranteed
        // reference spares the retain and release an unowned capture costs per pass.
        let me = Unmanaged.passUnretained(self)
        if (try? engine.onCode(begin: pc, end: pc, { a, _ in me._withUnsafeGuaranteedRef { $0.hookRan(); $0.accessSiteReached(a, w, ls) } })) != nil {
            engine.removeTranslations(begin: pc, end: pc &+ 4)
        }
    }

    /// Runs before every pass of a watched load/store (a loop's), so the
    /// common case, an access the TLB covers, is kept short: SCTLR_EL1 from
    /// the known values (`el1Value`), SP only when it is the base.
    func accessSiteReached(_ pc: UInt64, _ word: UInt32, _ ls: LoadStore) {
        guard stopReason == nil else { return }
        // The code at a watched address may have changed since (a new image, a remap).
        guard instructionWord(at: pc) == word else { return }
        let va = ls.address(pc: pc, sp: ls.rn == 31 ? engine.read(.sp) : 0) { self.engine.read(.x($0)) }
        let kind: MemoryAccessKind = ls.isLoad ? .read : .write
        if let key = mapAddress(ofVA: va, kind), tlbPermits(key, kind) { return }
        switch resolveAccess(kind, va: va, pc: pc, access: ls) {
        case .filled, .stopped: return
        case .tagged: tagCheckedAccess(pc: pc)
        case .abort(let p):
            // Before the instruction: ELR = PC, and an ERET past it skips it.
            // A code hook's PC is exact already: no PC write (it would restart Unicorn's loop).
            faults.pendingAbort = p
            _ = takePendingAbort(pcIsExact: true)
        }
    }

    /// Does the TLB hold a translation for `va` that permits `kind`?
    func tlbPermits(_ va: UInt64, _ kind: MemoryAccessKind) -> Bool {
        tlbEntry(covering: va)?.permits(kind) ?? false
    }

    /// The TLB entry that covers `va`: a page, a coalesced run of pages or a block.
    func tlbEntry(covering va: UInt64) -> Stage2TLB.Entry? {
        // The entry found last, most often the one again (a loop walking a block).
        if let h = tlb.lastHit, va &- h.base < h.entry.size { return h.entry }
        for size: UInt64 in [4096, 1 << 21, 1 << 30] {
            // A coalesced page run starts at any page: look up the 2 MiB block's pages only when needed.
            if let e = tlb.entries[va & ~(size - 1)], e.size > va & (size - 1) {
                tlb.lastHit = (va & ~(size - 1), e)
                return e
            }
        }
        // Else the entry that starts last in the block below the page (runs do not overlap).
        guard let a = tlb.startBelow(va), let e = tlb.entries[a], a &+ e.size > va else { return nil }
        tlb.lastHit = (a, e)
        return e
    }

    /// Books the descriptor reads of the walk that faulted to the coming exception entry.
    func bookWalk() {
        faults.walkStepsToBook = faults.lastWalkSteps
    }

    /// Enters the exception a memory hook found; false if there was none.
    /// `pcIsExact`: Unicorn's PC is already the faulting instruction's.
    func takePendingAbort(pcIsExact: Bool = false) -> Bool {
        guard let p = faults.pendingAbort else { return false }
        faults.pendingAbort = nil
        switch p {
        case .toEL2(let esr, let elr, let far, let hpfar):
            if !pcIsExact { engine.write(.pc, elr) }
            if esr.ec == .dataAbortLowerEL && !esr.s1ptw { watchAccessSite(elr) }
            takeSynchronousToEL2(esr, elr: elr, resumePC: elr, far: far, hpfar: hpfar)
        case .toEL1(let esr, let pc, let far):
            enterEL1(kind: 0, esr: esr, returnPC: pc, far: far)
        case .tagChecked(let pc):
            watchAccessSite(pc)
            tagCheckedAccess(pc: pc)
        }
        return true
    }

    /// A fault Unicorn raised itself (QEMU's prefetch/data abort, PC precise):
    /// its stage-1 walk read a table it has no mapping for, or stage 1 really
    /// faulted. Walks stage 1 to find out which.
    func stage1Fault(isInstruction: Bool, pc: UInt64) {
        let kind: MemoryAccessKind
        var va: UInt64
        var access: LoadStore?
        var lastPage: UInt64?
        if isInstruction {
            kind = .fetch; va = pc
        } else {
            guard let w = instructionWord(at: pc), let ls = LoadStore(w) else {
                requestStop(.error("guest data abort at pc 0x\(String(pc, radix: 16)) from an instruction the model does not decode"))
                return
            }
            access = ls
            kind = ls.isLoad ? .read : .write
            va = ls.address(pc: pc, sp: engine.read(.sp)) { self.engine.read(.x($0)) }
            let last = va &+ UInt64(ls.totalBytes - 1)
            if last >> 12 != va >> 12 { lastPage = last & ~0xFFF }
        }
        let saved = countingEnabled
        countingEnabled = false
        var (r, filled) = stage1Translate(va, kind, fillTables: true)
        // An access crossing into the next page faults on that page when the first is fine.
        if case .ipa = r, !filled, let next = lastPage {
            (r, filled) = stage1Translate(next, kind, fillTables: true)
            va = next
        }
        countingEnabled = saved
        switch r {
        case .ipa:
            // Unicorn's walk failed on a table page that was not in the TLB: now it is, so
            // retry (each retry enters a new page, so this cannot loop).
            if filled { return }
            // Both stages permit it: what QEMU faulted on is the alignment (SCTLR_EL1.A, Device memory).
            guard !isInstruction else {
                // The guest's EL2 code runs through an EL1 regime in Unicorn, where a page
                // with AP[1] = 1 (RES1 in EL2's one-range regime) is EL0-writable and so
                // never executable at EL1. Unicorn 2.1 translates through the model's walk
                // instead (`guestEL2RegimeTLBFill`); Unicorn 2.0 has no such hook.
                if runsGuestEL2Code {
                    unsupportedAtEL2("EL2 code fetching from a page whose stage 1 sets AP[1] (RES1 at EL2; at EL1 it makes the page EL0-writable, so execute-never) at pc 0x\(String(pc, radix: 16))")
                    return
                }
                requestStop(.error("guest instruction abort at pc 0x\(String(pc, radix: 16)) that stage 1 and stage 2 both permit"))
                return
            }
            enterEL1(kind: 0, esr: stage1Syndrome(kind, .alignment, pc: pc, access: access), returnPC: pc, far: va)
        case .fault(let f):
            enterEL1(kind: 0, esr: stage1Syndrome(kind, f, pc: pc, access: access), returnPC: pc, far: va)
        case .walkFault(let tableIPA, let f):
            let esr: ExceptionSyndrome = isInstruction ? .instructionAbort(status: f, s1ptw: true) : .dataAbort(status: f, isWrite: false, s1ptw: true)
            bookWalk()
            takeSynchronousToEL2(esr, elr: pc, resumePC: pc, far: va, hpfar: HPFAR.encode(ipa: tableIPA))
        case .unsupported(let why):
            requestStop(.error(why))
        }
    }

    /// The syndrome of a stage-1 abort taken to the guest's EL1.
    func stage1Syndrome(_ kind: MemoryAccessKind, _ f: FaultStatus, pc: UInt64, access: LoadStore? = nil) -> ExceptionSyndrome {
        let fromEL0 = ProcessorState(raw: engine.read(.pstate)).mode == .el0t
        if kind == .fetch { return .instructionAbort(lowerEL: fromEL0, status: f) }
        return .dataAbort(lowerEL: fromEL0, status: f, isWrite: kind == .write,
                          access: access ?? instructionWord(at: pc).flatMap(LoadStore.init))
    }
}
