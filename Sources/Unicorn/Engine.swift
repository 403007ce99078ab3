import CUnicorn

/// One Unicorn AArch64 CPU with its memory map: the only Swift type that
/// calls Unicorn's C API. Everything above sees registers, memory and hooks.
public final class Engine {
    let uc: OpaquePointer
    var boxes: [AnyObject] = []
    /// The invalid-memory hooks and the memory they need not cover (FaultHookRanges.swift).
    private var faultHooks: [uc_hook] = []
    private var faultRanges = FaultHookRanges()
    private var hookRanges: [(begin: UInt64, end: UInt64)] = []
    /// The translation block ends with the running hook: the interrupt hook
    /// (Unicorn is between blocks), or an MRS/MSR of a register Unicorn's CPU
    /// lacks (its UNDEF ends the block). A PC write then needs no request to
    /// Unicorn 2.1.4 to leave the PC alone at the block's exit (see `write`).
    public var blockEndsAfterHook = false
    /// Unicorn 2.1.4: a PC write (uc_reg_write) asked Unicorn not to restore
    /// the PC at its next exit check, and that request may still stand: an
    /// unmapped/protection hook may see an earlier PC, not the access's.
    /// Until the next `start`.
    public private(set) var pcMayBeStaleInFaultHooks = false

    /// Unicorn's AArch64 CPU models (`UC_CPU_ARM64_*`).
    public enum CPUModel: Int32, Sendable { case a57 = 0, a53 = 1, a72 = 2, max = 3 }

    public init(model: CPUModel = .a57) throws {
        (gprValues, gprPointers) = Engine.gprBuffers()
        var handle: OpaquePointer?
        try check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &handle))
        guard let handle else { throw UnicornError(UC_ERR_HANDLE) }
        uc = handle
        try check(el2_ctl_set_cpu_model(uc, model.rawValue))
    }

    deinit {
        uc_close(uc)
        gprIDs.deallocate(); gprValues.deallocate(); gprPointers.deallocate()
    }

    /// Unicorn's version as (major, minor, patch).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var maj: UInt32 = 0, min: UInt32 = 0
        let v = uc_version(&maj, &min)
        return (Int(maj), Int(min), Int((v >> 8) & 0xff))
    }

    // MARK: Registers

    public func read(_ r: Register) -> UInt64 {
        var v: UInt64 = 0
        _ = uc_reg_read(uc, r.id, &v)
        return v
    }

    public func write(_ r: Register, _ value: UInt64) {
        var v = value
        if r == .pc && blockEndsAfterHook && Engine.restoresPCForMemoryFaults {
            // uc_reg_write would also tell Unicorn 2.1.4 not to restore the PC at
            // the next exit check after a memory access (skip_sync_pc_on_exit).
            // A block that ends with the hook never reaches one, so the request
            // would outlive it: the next faulting store would then exit with a
            // stale PC and run again from there. The batch call moves the PC
            // the same way without it.
            var id = r.id
            withUnsafeMutablePointer(to: &v) { p in
                var value: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(p)
                _ = uc_reg_write_batch(uc, &id, &value, 1)
            }
            return
        }
        if r == .pc { pcMayBeStaleInFaultHooks = true }
        if r == .pstate || r == .nzcv || r == .fpcr || r == .fpsr || r == .cpacrEL1 {
            var w = UInt32(truncatingIfNeeded: value)
            _ = uc_reg_write(uc, r.id, &w)
            return
        }
        _ = uc_reg_write(uc, r.id, &v)
    }

    /// Xn (0...30): `write(.x(n), value)` without the checks only the PC and
    /// the 32-bit registers need (a world switch's GPR restore).
    public func writeX(_ n: Int, _ value: UInt64) {
        var v = value
        _ = uc_reg_write(uc, Register.x(n).id, &v)
    }

    /// Vn (0...31), the 128-bit SIMD&FP register, as (low, high) 64-bit halves.
    public func readVector(_ n: Int) -> (low: UInt64, high: UInt64) {
        var v: (UInt64, UInt64) = (0, 0)
        _ = uc_reg_read(uc, Int32(bitPattern: UC_ARM64_REG_V0.rawValue) &+ Int32(n & 31), &v)
        return v
    }

    public func writeVector(_ n: Int, low: UInt64, high: UInt64) {
        var v = (low, high)
        _ = uc_reg_write(uc, Int32(bitPattern: UC_ARM64_REG_V0.rawValue) &+ Int32(n & 31), &v)
    }

    /// Reads X0...X30 in one call.
    public func readGeneralPurposeRegisters(into values: UnsafeMutablePointer<UInt64>) {
        _ = uc_reg_read_batch(uc, gprIDs, gprPointers, 31)
        values.update(from: gprValues, count: 31)
    }

    /// Reads X0...X30, PSTATE and PC in one call (the bench's floor of an exit's register traffic).
    public func readGeneralPurposeRegistersPSTATEAndPC(into values: UnsafeMutablePointer<UInt64>) -> (pstate: UInt64, pc: UInt64) {
        gprValues[31] = 0   // PSTATE is 32 bits wide in Unicorn
        _ = uc_reg_read_batch(uc, gprIDs, gprPointers, 33)
        values.update(from: gprValues, count: 31)
        return (gprValues[31], gprValues[32])
    }

    /// Reads PSTATE and the PC in one call: the state an exception entry
    /// needs at once (SPSR takes PSTATE, ELR the PC).
    public func readPSTATEAndPC() -> (pstate: UInt64, pc: UInt64) {
        gprValues[31] = 0   // PSTATE is 32 bits wide in Unicorn
        _ = uc_reg_read_batch(uc, gprIDs + 31, gprPointers + 31, 2)
        return (gprValues[31], gprValues[32])
    }

    /// The same and X0, still in one call.
    public func readPSTATEPCAndX0() -> (pstate: UInt64, pc: UInt64, x0: UInt64) {
        gprValues[31] = 0   // PSTATE is 32 bits wide in Unicorn
        _ = uc_reg_read_batch(uc, gprIDs + 31, gprPointers + 31, 3)
        return (gprValues[31], gprValues[32], gprValues[33])
    }

    /// Writes X0...X30 in one call.
    public func writeGeneralPurposeRegisters(_ values: UnsafePointer<UInt64>) {
        gprValues.update(from: values, count: 31)
        _ = uc_reg_write_batch(uc, gprIDs, gprPointers, 31)
    }

    /// The batch calls' argument arrays, built once: an exit reads and writes
    /// all 31 GPRs, and building them per call was a good part of its cost.
    private let gprIDs: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 34)
        for i in 0..<31 { p[i] = Register.x(i).id }
        p[31] = Register.pstate.id
        p[32] = Register.pc.id
        p[33] = Register.x(0).id
        return p
    }()
    private let gprValues: UnsafeMutablePointer<UInt64>
    /// Pointers into `gprValues` (a stored constant: a lazy one was created by deinit if never used).
    private let gprPointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    private static func gprBuffers() -> (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        let values = UnsafeMutablePointer<UInt64>.allocate(capacity: 34)
        values.initialize(repeating: 0, count: 34)
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 34)
        for i in 0..<34 { pointers[i] = UnsafeMutableRawPointer(values + i) }
        return (values, pointers)
    }


    /// Reads a system register by encoding; nil when the CPU has no such register.
    /// Registers Unicorn names are read directly (no CP_REG hash lookup).
    public func read(_ s: SystemRegisterID) -> UInt64? {
        if let named = s.named { return read(named) }
        var cp = uc_arm64_cp_reg(crn: s.crn, crm: s.crm, op0: s.op0, op1: s.op1, op2: s.op2, val: 0)
        let err = withUnsafeMutablePointer(to: &cp) { uc_reg_read(uc, Int32(bitPattern: UC_ARM64_REG_CP_REG.rawValue), $0) }
        return err == UC_ERR_OK ? cp.val : nil
    }

    /// Writes a system register by encoding; false when the CPU has no such register.
    @discardableResult
    public func write(_ s: SystemRegisterID, _ value: UInt64) -> Bool {
        if let named = s.named { write(named, value); return true }
        var cp = uc_arm64_cp_reg(crn: s.crn, crm: s.crm, op0: s.op0, op1: s.op1, op2: s.op2, val: value)
        let err = withUnsafeMutablePointer(to: &cp) { uc_reg_write(uc, Int32(bitPattern: UC_ARM64_REG_CP_REG.rawValue), $0) }
        return err == UC_ERR_OK
    }

    // MARK: Memory map

    /// Host time spent changing the memory map (map, unmap, protect), for the
    /// benchmarks: QEMU rebuilds its flat view of memory and flushes its TLB on each.
    public private(set) var memoryMapTime: Duration = .zero

    private func timingMapChange(_ body: () throws -> Void) rethrows {
        let start = ContinuousClock.now
        defer { memoryMapTime += ContinuousClock.now - start }
        try body()
    }

    /// Maps host memory at `pointer` as guest-physical [address, address+size).
    public func map(address: UInt64, size: UInt64, permissions: MemoryPermissions, pointer: UnsafeMutableRawPointer) throws {
        try timingMapChange {
            try check(el2_mem_map_ptr(uc, address, size, permissions.rawValue, pointer))
            if permissions == .all { faultRanges.add(address, address &+ size); moveFaultHooks() }
        }
    }

    /// Maps MMIO callbacks over [address, address+size).
    public func mapMMIO(address: UInt64, size: UInt64,
                        read: @escaping (_ offset: UInt64, _ size: Int) -> UInt64,
                        write: @escaping (_ offset: UInt64, _ size: Int, _ value: UInt64) -> Void) throws {
        let box = MMIOBox(read: read, write: write)
        boxes.append(box)
        let rcb: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> UInt64 = { _, off, size, ud in
            Unmanaged<MMIOBox>.fromOpaque(ud!).takeUnretainedValue().read(off, Int(size))
        }
        let wcb: @convention(c) (OpaquePointer?, UInt64, UInt32, UInt64, UnsafeMutableRawPointer?) -> Void = { _, off, size, v, ud in
            Unmanaged<MMIOBox>.fromOpaque(ud!).takeUnretainedValue().write(off, Int(size), v)
        }
        let ud = Unmanaged.passUnretained(box).toOpaque()
        try timingMapChange { try check(el2_mmio_map(uc, address, size, rcb, ud, wcb, ud)) }
    }

    public func unmap(address: UInt64, size: UInt64) throws {
        try timingMapChange {
            try check(el2_mem_unmap(uc, address, size))
            faultRanges.remove(address, address &+ size)
            moveFaultHooks()
        }
    }

    public func protect(address: UInt64, size: UInt64, permissions: MemoryPermissions) throws {
        try protect([(address, size)], permissions: permissions)
    }

    /// Gives every mapped range the same permissions; the fault hooks move once,
    /// and QEMU's TLB forgets the old ones (uc_mem_protect does not flush it).
    public func protect(_ ranges: [(address: UInt64, size: UInt64)], permissions: MemoryPermissions) throws {
        guard !ranges.isEmpty else { return }
        try timingMapChange {
            defer {
                moveFaultHooks()
                flushTLB()
            }
            for r in ranges {
                try check(el2_mem_protect(uc, r.address, r.size, permissions.rawValue))
                if permissions == .all { faultRanges.add(r.address, r.address &+ r.size) } else { faultRanges.remove(r.address, r.address &+ r.size) }
            }
        }
    }

    /// Reads guest memory through Unicorn's map (the current translation regime).
    public func readMemory(address: UInt64, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let err = bytes.withUnsafeMutableBytes { el2_mem_read(uc, address, $0.baseAddress, UInt64(count)) }
        return err == UC_ERR_OK ? bytes : nil
    }

    public func readWord(address: UInt64) -> UInt32? {
        var w: UInt32 = 0
        return el2_mem_read(uc, address, &w, 4) == UC_ERR_OK ? UInt32(littleEndian: w) : nil
    }

    @discardableResult
    public func writeMemory(address: UInt64, bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { el2_mem_write(uc, address, $0.baseAddress, UInt64(bytes.count)) } == UC_ERR_OK
    }

    // MARK: Running

    /// Runs from `address` until `stop()`, an unhandled fault, or WFI.
    /// `count` = 0 means no instruction limit.
    public func start(at address: UInt64, count: Int = 0) throws {
        pcMayBeStaleInFaultHooks = false   // uc_emu_start clears Unicorn's request
        try check(el2_emu_start(uc, address, Engine.until, 0, UInt64(count)))
    }

    public func stop() { _ = uc_emu_stop(uc) }

    /// The address `start` runs until: never reached (the top of the upper VA range).
    /// Unicorn translates it at each start (UC_TLB_VIRTUAL: a TLB fill for it).
    public static let until: UInt64 = 0xffff_ffff_ffff_fffc

    /// Drops translated code for [begin, end) so hooks added since apply.
    public func removeTranslations(begin: UInt64, end: UInt64) {
        _ = el2_ctl_remove_cache(uc, begin, end)
    }

    public func flushTranslations() { _ = el2_ctl_flush_tb(uc) }

    /// Empties QEMU's TLB of guest translations. A named-register write of
    /// TTBRn/TCR/SCTLR_EL1 is raw (QEMU's own MSR flushes on an ASID or
    /// regime change; this write does not), so the writer flushes after it.
    public func flushTLB() {
        guard Engine.mapsPhysicalAddresses else { return }   // 2.0: no such control (see the shim)
        _ = el2_ctl_flush_tlb(uc)
    }

    // MARK: Hooks

    public typealias Handle = uc_hook

    /// An exception Unicorn raised (QEMU's EXCP_* number).
    @discardableResult
    public func onInterrupt(_ body: @escaping (_ intno: UInt32) -> Void) throws -> Handle {
        let box = InterruptHookBox(engine: self, body: body)
        let cb: @convention(c) (OpaquePointer?, UInt32, UnsafeMutableRawPointer?) -> Void = { _, intno, ud in
            // A guaranteed reference: no retain of the box per exception; the body called directly, no wrapping closure.
            Unmanaged<InterruptHookBox>.fromOpaque(ud!)._withUnsafeGuaranteedRef { b in
                b.engine.blockEndsAfterHook = true
                b.body(intno)
                b.engine.blockEndsAfterHook = false
            }
        }
        return try add(UC_HOOK_INTR.rawValue, unsafeBitCast(cb, to: UnsafeMutableRawPointer.self), box, 1, 0)
    }

    /// An MRS/MSR/SYS instruction, before it executes. Return true to skip it.
    /// With a `filter`, only the accesses its tables send to the model come here.
    @discardableResult
    public func onSystemInstruction(_ kind: SystemInstructionKind, filter: SystemInstructionFilter? = nil,
                                    _ body: @escaping (_ rt: Register, _ reg: SystemRegisterID, _ value: UInt64) -> Bool) throws -> Handle {
        let box = Box(body)
        let cb: @convention(c) (OpaquePointer?, uc_arm64_reg, UnsafePointer<uc_arm64_cp_reg>?, UnsafeMutableRawPointer?) -> UInt32 = { _, reg, cp, ud in
            let c = cp!.pointee
            // A guaranteed reference: no retain of the box or its closure per access.
            return Unmanaged<Box<(Register, SystemRegisterID, UInt64) -> Bool>>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
                $0.body(Register(reg), SystemRegisterID(op0: c.op0, op1: c.op1, crn: c.crn, crm: c.crm, op2: c.op2), c.val)
            } ? 1 : 0
        }
        let insn: uc_arm64_insn
        switch kind {
        case .mrs: insn = UC_ARM64_INS_MRS
        case .msr: insn = UC_ARM64_INS_MSR
        case .sys: insn = UC_ARM64_INS_SYS
        case .sysl: insn = UC_ARM64_INS_SYSL
        }
        var h: uc_hook = 0
        boxes.append(box)
        if let filter, let k = filter.kind(kind) {
            boxes.append(filter)
            try check(el2_hook_add_sys_filter(uc, &h, filter.filter, k, cb, Unmanaged.passUnretained(box).toOpaque()))
            return h
        }
        try check(el2_hook_add_insn(uc, &h, unsafeBitCast(cb, to: UnsafeMutableRawPointer.self),
                                    Unmanaged.passUnretained(box).toOpaque(), 1, 0, Int32(insn.rawValue)))
        return h
    }

    /// Each translation block as it starts: its address and size in bytes.
    @discardableResult
    public func onBlock(_ body: @escaping (_ address: UInt64, _ size: UInt32) -> Void) throws -> Handle {
        try addCodeHook(UC_HOOK_BLOCK.rawValue, body, 1, 0)
    }

    /// Each instruction in [begin, end] before it executes.
    @discardableResult
    public func onCode(begin: UInt64, end: UInt64, _ body: @escaping (_ address: UInt64, _ size: UInt32) -> Void) throws -> Handle {
        try addCodeHook(UC_HOOK_CODE.rawValue, body, begin, end)
    }

    /// An access to an address with no mapping (or, with `protection`, a
    /// mapping without the permission). Return true once it has been mapped.
    @discardableResult
    public func onInvalidMemory(_ body: @escaping (_ access: MemoryAccess, _ address: UInt64, _ size: Int, _ value: Int64) -> Bool) throws -> Handle {
        let box = Box(body)
        let cb: @convention(c) (OpaquePointer?, uc_mem_type, UInt64, Int32, Int64, UnsafeMutableRawPointer?) -> Bool = { _, t, a, s, v, ud in
            Unmanaged<Box<(MemoryAccess, UInt64, Int, Int64) -> Bool>>.fromOpaque(ud!).takeUnretainedValue().body(MemoryAccess(t), a, Int(s), v)
        }
        let types = UC_HOOK_MEM_READ_UNMAPPED.rawValue | UC_HOOK_MEM_WRITE_UNMAPPED.rawValue | UC_HOOK_MEM_FETCH_UNMAPPED.rawValue
            | UC_HOOK_MEM_READ_PROT.rawValue | UC_HOOK_MEM_WRITE_PROT.rawValue | UC_HOOK_MEM_FETCH_PROT.rawValue
        let first = try add(types, unsafeBitCast(cb, to: UnsafeMutableRawPointer.self), box, 1, 0)
        // Unicorn 2.0 reports virtual addresses and keeps every page on the slow path anyway;
        // before 2.1.4 translated code cannot be located (FaultHookRanges.swift).
        var pa: UInt64 = 0
        guard Engine.mapsPhysicalAddresses, faultHooks.isEmpty, el2_vmem_translate(uc, 0, &pa) != UC_ERR_ARG else { return first }
        // One hook whose range reads back as it was set, or the layout is not the one the shim knows.
        var b: UInt64 = 0, e: UInt64 = 0
        el2_hook_set_range(first, 0, UInt64.max - 1)
        el2_hook_range(first, &b, &e)
        guard (b, e) == (0, UInt64.max - 1) else { el2_hook_set_range(first, 1, 0); return first }
        faultHooks = [first]
        for _ in 1..<FaultHookRanges.count {
            let (pb, pe) = FaultHookRanges.parked
            faultHooks.append(try add(types, unsafeBitCast(cb, to: UnsafeMutableRawPointer.self), box, pb, pe))
        }
        let translated: @convention(c) (OpaquePointer?, UnsafeMutablePointer<uc_tb>?, UnsafeMutablePointer<uc_tb>?, UnsafeMutableRawPointer?) -> Void = { _, tb, _, ud in
            guard let tb else { return }
            Unmanaged<Engine>.fromOpaque(ud!).takeUnretainedValue().codeTranslated(tb.pointee.pc, size: UInt64(tb.pointee.size))
        }
        var h: uc_hook = 0
        try check(el2_hook_add(uc, &h, Int32(UC_HOOK_EDGE_GENERATED.rawValue), unsafeBitCast(translated, to: UnsafeMutableRawPointer.self),
                               Unmanaged.passUnretained(self).toOpaque(), 1, 0))
        moveFaultHooks()
        return first
    }

    /// A block was translated: the memory its code is in stays on the slow
    /// path, so that a store through any VA drops the translation. QEMU's TLB
    /// may already hold a fast entry for it (a store came first): emptied.
    private func codeTranslated(_ pc: UInt64, size: UInt64) {
        var flush = false
        for va in Set([pc, pc &+ max(size, 1) &- 1]) {
            var pa: UInt64 = 0
            guard el2_vmem_translate(uc, va, &pa) == UC_ERR_OK, !faultRanges.code.contains(pa) else { continue }
            faultRanges.addCode(at: pa)
            if !hookRanges.contains(where: { pa >= $0.begin && pa <= $0.end }) { flush = true }
        }
        guard flush else { return }
        moveFaultHooks()
        _ = el2_ctl_flush_tlb(uc)
    }

    /// Gives the invalid-memory hooks the ranges `faultRanges` asks for (FaultHookRanges.swift).
    private func moveFaultHooks() {
        guard !faultHooks.isEmpty else { return }
        hookRanges = faultRanges.hookRanges()
        for (h, r) in zip(faultHooks, hookRanges) { el2_hook_set_range(h, r.begin, r.end) }
    }

    /// Makes the PC exact in memory hooks for code in [begin, end] (begin > end:
    /// everywhere). Unicorn 2.0.1 writes the PC back before a load/store only
    /// when a memory-access hook's range contains the instruction; this adds
    /// an empty one in C (no Swift call per access).
    @discardableResult
    public func syncPCOnMemoryAccess(begin: UInt64 = 1, end: UInt64 = 0) throws -> Handle {
        var h: uc_hook = 0
        try check(el2_hook_add_pc_sync(uc, &h, begin, end))
        return h
    }

    /// Translates VAs through `onTLBFill`'s closure (true) instead of QEMU's
    /// own stage-1 walk (false); the TLB is emptied at each change. Unicorn
    /// 2.1 only: on 2.0 it stays false.
    public private(set) var translatesByHook = false

    public func translateByHook(_ on: Bool) {
        guard on != translatesByHook, tlbFillHooked, el2_ctl_tlb_by_hook(uc, on ? 1 : 0) == UC_ERR_OK else { return }
        translatesByHook = on
        _ = el2_ctl_flush_tlb(uc)
    }

    private var tlbFillHooked = false

    /// The translation of the page of `va` for `access` while `translatesByHook`:
    /// its PA and permissions, or nil for a fault (Unicorn then stops with an MMU error).
    public func onTLBFill(_ body: @escaping (_ va: UInt64, _ access: MemoryAccess) -> (pa: UInt64, perms: MemoryPermissions)?) {
        let box = Box(body)
        let cb: el2_tlb_fill_cb = { ud, va, type, pa, perms in
            let f = Unmanaged<Box<(UInt64, MemoryAccess) -> (pa: UInt64, perms: MemoryPermissions)?>>.fromOpaque(ud!).takeUnretainedValue().body
            guard let r = f(va, MemoryAccess(uc_mem_type(rawValue: UInt32(type)))) else { return 0 }
            pa!.pointee = r.pa
            perms!.pointee = r.perms.rawValue
            return 1
        }
        var h: uc_hook = 0
        guard el2_hook_add_tlb_fill(uc, &h, cb, Unmanaged.passUnretained(box).toOpaque()) == UC_ERR_OK else { return }
        boxes.append(box)
        tlbFillHooked = true
    }

    public func removeHook(_ h: Handle) { _ = uc_hook_del(uc, h) }

    private func addCodeHook(_ type: UInt32, _ body: @escaping (UInt64, UInt32) -> Void, _ begin: UInt64, _ end: UInt64) throws -> Handle {
        let box = CodeHookBox(body)
        // A code hook may run on every pass of a loop (a watched load/store):
        // a box of its own type calls the closure with no reabstraction, and
        // the guaranteed reference (the engine keeps the box) needs no retain.
        let cb: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { _, a, s, ud in
            Unmanaged<CodeHookBox>.fromOpaque(ud!)._withUnsafeGuaranteedRef { $0.body(a, s) }
        }
        return try add(type, unsafeBitCast(cb, to: UnsafeMutableRawPointer.self), box, begin, end)
    }

    private func add(_ type: UInt32, _ cb: UnsafeMutableRawPointer, _ box: AnyObject, _ begin: UInt64, _ end: UInt64) throws -> Handle {
        var h: uc_hook = 0
        boxes.append(box)
        try check(el2_hook_add(uc, &h, Int32(type), cb, Unmanaged.passUnretained(box).toOpaque(), begin, end))
        return h
    }
}

final class Box<T> {
    let body: T
    init(_ body: T) { self.body = body }
}

final class InterruptHookBox {
    unowned(unsafe) let engine: Engine
    let body: (UInt32) -> Void
    init(engine: Engine, body: @escaping (UInt32) -> Void) { self.engine = engine; self.body = body }
}

final class CodeHookBox {
    let body: (UInt64, UInt32) -> Void
    init(_ body: @escaping (UInt64, UInt32) -> Void) { self.body = body }
}

final class MMIOBox {
    let read: (UInt64, Int) -> UInt64
    let write: (UInt64, Int, UInt64) -> Void
    init(read: @escaping (UInt64, Int) -> UInt64, write: @escaping (UInt64, Int, UInt64) -> Void) {
        self.read = read; self.write = write
    }
}
