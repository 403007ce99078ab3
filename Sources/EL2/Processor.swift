import AArch64
import Unicorn

/// One processing element with the EL2 extensions, emulated: Unicorn runs
/// EL1/EL0; this class is the EL2 hardware around it. It routes guest events
/// by HCR_EL2, takes exceptions to EL2 and calls the EL2 software through
/// `ExceptionVectors`; the software acts on the machine only through the
/// counted operations here (sysreg access, GPR access, ERET, TLBI...).
public final class Processor {
    let engine: Engine
    public let memory: HostMemory
    public let index: Int
    /// unowned(unsafe): the software outlives its PEs, and a weak reference would put
    /// the VM's reference counts in a side table, slowing every exit.
    public unowned(unsafe) var software: ExceptionVectors?

    /// The EL2 register file. Internal: software goes through `read`/`write`.
    var el2 = EL2Registers()
    /// Where each encoding goes (held here: a stored static would be checked for initialisation at every access).
    let routing = RegisterRouting.shared
    /// What EL2 software last read from or wrote to the EL1 registers of
    /// `RegisterRouting.knownEL1` (bit n of the mask: slot n is known), kept
    /// while the guest runs: every guest MSR passes the model's hook, which
    /// forgets the register it writes, and exception entry to EL1 forgets
    /// ELR/SPSR/ESR/FAR (`forgetEL1`). So a split-mode exit reads only what
    /// the guest changed, and writes only what differs.
    let el1Known: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        p.initialize(repeating: 0, count: 32)
        return p
    }()
    var el1KnownMask: UInt32 = 0
    /// A write may have changed SCTLR/TTBR0/TTBR1/TCR_EL1 (Stage1Regime.swift).
    var stage1RegimeDirty = false
    var stage1RegimeRan: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// The GPRs as exception entry (or the last `saveGPRs`) read them, while no write came since.
    let gprKnownValues = UnsafeMutablePointer<UInt64>.allocate(capacity: 31)
    var gprsKnown = false
    /// Virtual time. Guest instructions are counted by the block gate in C and
    /// folded in whenever the clock is read.
    public internal(set) var clock: VirtualClock {
        get { syncClock(); return storedClock }
        set { storedClock = newValue; updateGate() }
    }
    var storedClock = VirtualClock()
    var syncedInstructions: UInt64 = 0
    var gate: BlockGate?
    /// Operations performed since the software last took them (`withCounts`),
    /// phase-major like `OperationCounts.table`: a fixed buffer, bumped with
    /// no checks, since every operation of every exit lands here.
    let countTable: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: OperationCounts.size)
        p.initialize(repeating: 0, count: OperationCounts.size)
        return p
    }()
    /// Which cells of `countTable` are non-zero (bits 0-63, 64-127).
    var countedCells: (UInt64, UInt64) = (0, 0)
    /// The counts since the software last took them.
    public var counts: OperationCounts { OperationCounts(UnsafeBufferPointer(start: countTable, count: OperationCounts.size)) }
    /// The phase that new operations are booked to.
    public var phase: Phase = .entry { didSet { phaseBase = phase.rawValue &* OperationCounts.width } }
    /// The first cell of the current phase in `countTable`.
    var phaseBase = 0
    /// When false, operations are not counted (to measure the ledger's own cost).
    public var countingEnabled = true
    /// The exception level the model is at: 1 while the guest (or the split-mode
    /// host kernel) runs, 2 while EL2 software runs.
    public internal(set) var currentEL = 1

    /// Limits: the run stops cleanly when one is reached.
    public var maxInstructions: UInt64 = .max { didSet { updateGate() } }
    public var maxCycles: UInt64 = .max { didSet { updateGate() } }
    public var hostDeadline: UInt64 = .max  // host monotonic ns
    var hostTimeoutSeconds: Double = 0

    var stopReason: StopReason?
    /// Unicorn's memory map as the stage-2 TLB (Stage2TLB.swift).
    let tlb = Stage2TLB()
    /// An abort a memory hook found, entered once Unicorn has stopped.
    var pendingAbort: PendingAbort?
    /// A memory hook stopped Unicorn to have the access's PC exact (MemoryFaults.swift): run it again.
    var retriesStoppedAccess = false
    /// Descriptors the last stage-2 walk read (booked when the walk ends in an exception to EL2).
    var lastWalkSteps = 0
    /// Loads/stores that took a stage-2 data abort, watched by a code hook (MemoryFaults.swift).
    var accessSites: [UInt64: (word: UInt32, access: LoadStore)] = [:]
    /// The last TLB miss (pc, address) and how often it repeated.
    var lastMiss: (pc_va: (UInt64, UInt64), repeats: Int) = ((0, 0), 0)
    /// Devices at host PAs, mapped with Unicorn MMIO callbacks while stage 2 is off.
    var physicalDevices: [PhysicalDevice] = []
    /// The other PEs of the inner shareable domain: a TLBI ...IS reaches their TLBs too.
    public var innerShareablePeers: () -> [Processor] = { [] }
    /// PC at which the current hook's instruction would naturally continue.
    var naturalPC: UInt64 = 0
    /// PSTATE as the guest left it on entry to EL2; while EL2 software runs,
    /// always what Unicorn's PSTATE holds (see `livePSTATE`).
    var pstateAtEntry: UInt64 = 0
    /// PSTATE as the HVC hook read it with the GPRs, for the exception entry that follows.
    var entryPSTATE: UInt64?
    var instrumented: [UInt64: Instruction] = [:]
    var scannedBlocks = Set<UInt64>()
    /// Hooks and slow gate calls left before the next look at the host (HostLimits.swift).
    var hostCheckCountdown = Processor.hostCheckInterval
    /// The virtual time at which a physical interrupt next becomes pending
    /// (timer deadline), 0 when one is pending now; checked once per block.
    var nextDeadline: UInt64 = .max { didSet { updateGate() } }
    /// EL2 software changed interrupt state; `nextDeadline` is recomputed on leaving EL2.
    var interruptLinesStale = false
    var storm: (vector: UInt64, instructions: UInt64, count: Int) = (.max, 0, 0)
    /// Polling of the timer, fast-forwarded (SpinWait.swift).
    var spinWait = SpinWait()
    /// Polling loops on memory, fast-forwarded exactly (PollingLoop.swift); on by default.
    public var fastForwardsPollingLoops = true
    /// Guest instructions the polling-loop fast-forward counted without running them.
    public internal(set) var pollingInstructionsSkipped: UInt64 = 0
    /// The block whose start must come again at the next block start (a probe), or .max.
    var pollingProbe: UInt64 = .max
    /// The last block found not to poll (not probed again while it keeps coming).
    var pollingRejected: UInt64 = .max
    /// A hook ran since the last sample: sample again soon.
    var pollingSampleSoon = false
    /// A hook ran since the probe began: the probe proves nothing.
    var pollingHookRan = false
    /// The exception hook, removed once the run has stopped (Hooks.swift).
    var interruptHook: Engine.Handle?
    /// DBGBVR/BCR/WVR/WCR<n>_EL1, held here, not in Unicorn (DebugRegisters.swift).
    var debugRegisters = [UInt64](repeating: 0, count: 64)
    /// MDSCR_EL1, the OS lock, PSTATE.SS and the debug hooks armed (DebugRegisters.swift).
    var debug = SelfHostedDebug()
    /// The physical redistributor's SGI/PPI state for this PE.
    var physical = PhysicalRedistributor()
    /// The PE's own PMU, reached when MDCR_EL2 does not trap it (PerformanceMonitorUnit.swift).
    var pmu = PerformanceMonitors()
    /// Each block's loads and stores, for the PMU's MEM_ACCESS (PerformanceMonitorUnit.swift).
    var blockMemoryAccesses: [UInt64: UInt8] = [:]
    /// End of the scheduler's current time slice (virtual cycles).
    var sliceEnd: UInt64 = .max { didSet { updateGate() } }
    var sliceExpired = false
    /// The EL2 software gave up the PE without an ERET (a blocked vCPU): `run` returns `.parked`.
    var parked = false { didSet { updateGate() } }
    /// PC of the WFI the PE waits in (an untrapped WFI), if it waits.
    var waitingPC: UInt64?
    /// Checking for virtual interrupts where the guest can take one (DAIF
    /// writes, ERET) and for timer deadlines at each block. Off only to
    /// measure what the checking costs; interrupts are then not delivered.
    public var interruptChecking = true
    /// Trace every DAIF change. Without it, MSR DAIFSet (which can only mask,
    /// never let an interrupt in) is not instrumented: one code hook less.
    public var traceDAIF = true
    /// Entry at EL2: the guest owns EL2 and no EL2 software of el2emu runs (GuestOwnedEL2.swift).
    public internal(set) var ownEL2: GuestOwnedEL2?
    /// Observers for tracing (set by the software; no EL2 state).
    public var onEvent: ((ProcessorEvent) -> Void)?

    public init(memory: HostMemory, index: Int = 0) throws {
        self.memory = memory
        self.index = index
        engine = try Engine(model: .a57)
        // Unicorn starts as if Secure with SCR_EL3 = 0; make EL1 Non-secure AArch64 with HVC enabled.
        engine.write(SystemRegisterID(.SCR_EL3), 0x501)  // NS | HCE | RW
        // With EL2 present, QEMU takes EL1's width from HCR_EL2.RW: without it a guest
        // that turns its MMU on would walk AArch32 tables. Stage 2 stays off in QEMU: the model does it.
        engine.write(SystemRegisterID(.HCR_EL2), HCR.RW.rawValue)
        engine.write(.pstate, ProcessorState.el1hMasked.raw)
        try installHooks()
        vgic.onDeactivatePhysical = { [unowned(unsafe) self] intid in self.deactivatePhysical(intid) }
    }

    deinit { countTable.deallocate(); gprKnownValues.deallocate(); el1Known.deallocate() }

    // MARK: Boot-time set-up (the boot loader's view, not counted)

    public func setBootState(pc: UInt64, pstate: ProcessorState = .el1hMasked, x0: UInt64 = 0, x1: UInt64 = 0, x2: UInt64 = 0, x3: UInt64 = 0) {
        engine.write(.pc, pc)
        engine.write(.pstate, pstate.raw)
        for (i, v) in [x0, x1, x2, x3].enumerated() { engine.write(.x(i), v) }
        gprsKnown = false
    }

    /// Maps host memory into the CPU's view at `address` (guest-physical).
    public func mapDirect(address: UInt64, size: UInt64, permissions: MemoryPermissions = .all, hostPA: UInt64) throws {
        guard let p = memory.pointer(hostPA, count: Int(size)) else {
            throw HostMemory.AllocationError(description: "host PA 0x\(String(hostPA, radix: 16)) is not host memory")
        }
        try engine.map(address: address, size: size, permissions: permissions, pointer: p)
    }

    /// Reads guest memory through the guest's current translation (its VA),
    /// walking both stages in software (a debugger's access: not counted, no TLB fill).
    public func readGuest(virtual address: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= 1 << 20 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var va = address
        while out.count < count {
            let chunk = min(count - out.count, Int(4096 - (va & 0xFFF)))
            guard let p = guestHostPointer(va, .read) else { return nil }
            out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: chunk))
            va &+= UInt64(chunk)
        }
        return out
    }

    @discardableResult
    public func writeGuest(virtual address: UInt64, bytes: [UInt8]) -> Bool {
        var done = 0, va = address
        while done < bytes.count {
            let chunk = min(bytes.count - done, Int(4096 - (va & 0xFFF)))
            guard let p = guestHostPointer(va, .write) else { return false }
            bytes[done..<done + chunk].withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: chunk) }
            done += chunk; va &+= UInt64(chunk)
        }
        return true
    }

    func guestHostPointer(_ va: UInt64, _ access: MemoryAccessKind) -> UnsafeMutableRawPointer? {
        let saved = countingEnabled
        countingEnabled = false
        defer { countingEnabled = saved }
        guard case (.ipa(let ipa), _) = stage1Translate(va, .read, fillTables: false),
              case .mapped(let m) = stage2Translate(ipa, access, counted: false) else { return nil }
        return memory.pointer(m.paBase &+ (ipa &- m.ipaBase), count: Int(4096 - (ipa & 0xFFF)))
    }

    // MARK: Counted operations

    @inline(__always)
    public func count(_ op: HardwareOperation, _ n: Int = 1) {
        guard countingEnabled else { return }
        let cell = phaseBase &+ op.rawValue
        countTable[cell] &+= n
        if cell < 64 { countedCells.0 |= 1 << UInt64(cell) } else { countedCells.1 |= 1 << UInt64(cell &- 64) }
    }

    /// Lends the counts since the last take to `body`.
    /// Not generic: the ledger calls it from another module on every exit, where
    /// a generic would run unspecialised. `body` returns the exit's cycles.
    /// `body` must drain the view (`CountsView.drain`), which clears the counts.
    public func withCounts(_ body: (CountsView) -> UInt64) -> UInt64 {
        let view = CountsView(table: UnsafeMutableBufferPointer(start: countTable, count: OperationCounts.size), counted: countedCells)
        countedCells = (0, 0)
        return body(view)
    }

    /// Drops the counts since the last take (set-up work no exit pays for).
    public func discardCounts() {
        _ = withCounts { view in view.drain { _, _ in }; return 0 }
    }

    public func readGPR(_ n: Int) -> UInt64 {
        count(.gprSave)
        return n >= 0 && n < 31 ? engine.read(.x(n)) : 0
    }

    public func writeGPR(_ n: Int, _ v: UInt64) {
        count(.gprRestore)
        gprsKnown = false
        if n >= 0 && n < 31 { engine.write(.x(n), v) }
    }

    /// Saves x0...x30 (31 GPR operations), as the EL2 vector's entry code does.
    /// Right after exception entry the values come from the entry's read of the register file.
    public func saveGPRs(into regs: inout [UInt64]) {
        count(.gprSave, 31)
        if regs.count != 31 { regs = Array(repeating: 0, count: 31) }
        if !gprsKnown {
            engine.readGeneralPurposeRegisters(into: gprKnownValues)
            gprsKnown = true
        }
        regs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: gprKnownValues, count: 31) }
    }

    /// Restores x0...x30 (31 GPR operations). Right after a save, only the
    /// registers whose value differs from what the CPU holds reach Unicorn:
    /// a hypercall changes x0-x3, not all 31.
    public func restoreGPRs(_ regs: [UInt64]) {
        count(.gprRestore, 31)
        guard regs.count == 31 else { return }
        regs.withUnsafeBufferPointer { r in
            guard gprsKnown else { return engine.writeGeneralPurposeRegisters(r.baseAddress!) }
            for i in 0..<31 where r[i] != gprKnownValues[i] { engine.write(.x(i), r[i]) }
        }
        gprsKnown = false
    }

    /// MRS from EL2 (or from the split-mode host at EL1): routes the encoding
    /// the way the hardware does, including E2H redirection.
    public func read(_ r: SystemRegister) -> UInt64 {
        switch resolve(r) {
        case .el2(let slot):
            count(.sysregReadEL2)
            return slot >= 0 ? el2.values[slot] : 0
        case .el1(let reg, let known):
            count(.sysregReadEL1)
            if reg == .SP_EL1 || reg == .SP_EL0 { return readBankedSP(reg) }
            if known >= 0 && el1KnownMask & (1 << UInt32(known)) != 0 { return el1Known[known] }
            let v = reg == .MDSCR_EL1 ? debug.mdscr : engine.read(SystemRegisterID(reg)) ?? 0
            if known >= 0 { el1Known[known] = v; el1KnownMask |= 1 << UInt32(known) }
            return v
        case .gic(let reg):
            count(.listRegisterRead)
            return vgic.read(reg)
        case .timer(let reg):
            count(.sysregReadTimer)
            return timer.read(reg, clock: clock, cntvoff: el2.cntvoff)
        case .physicalGIC(let reg):
            count(.sysregReadEL2)
            return physicalCPUInterfaceRead(reg)
        }
    }

    public func write(_ r: SystemRegister, _ v: UInt64) {
        switch resolve(r) {
        case .el2(let slot):
            count(.sysregWriteEL2)
            guard slot >= 0 else { return }
            el2.values[slot] = v
            // HCR_EL2's IMO/FMO/VI/VF/VSE drive the virtual interrupt lines; the TLB
            // follows VTTBR/VTCR/HCR.VM at the next entry to the guest (syncTranslationRegime).
            if slot == EL2Registers.hcrSlot { updateVirtualInterruptLines() }
        case .el1(let reg, let known):
            count(.sysregWriteEL1)
            if reg == .SP_EL1 || reg == .SP_EL0 { writeBankedSP(reg, v); return }
            if known >= 0 {
                // Writing what the register already holds changes nothing (and
                // spares Unicorn's CP_REG write, with its TLB flush for some).
                if el1KnownMask & (1 << UInt32(known)) != 0 && el1Known[known] == v { return }
                el1Known[known] = v
                el1KnownMask |= 1 << UInt32(known)
            }
            // MDSCR_EL1 is the model's (DebugRegisters.swift).
            if reg == .MDSCR_EL1 { debug.mdscr = v & 0xFFFF_FFFF; armDebugEvents(); return }
            if reg.changesTranslationRegime { stage1RegimeDirty = true }
            engine.write(SystemRegisterID(reg), v)
        case .gic(let reg):
            count(.listRegisterWrite)
            vgic.write(reg, v)
            updateVirtualInterruptLines()
        case .timer(let reg):
            count(.sysregWriteTimer)
            timer.write(reg, v, clock: { clock }, cntvoff: el2.cntvoff)
            updateVirtualInterruptLines()
        case .physicalGIC(let reg):
            count(.sysregWriteEL2)
            physicalCPUInterfaceWrite(reg, v)
        }
    }

    /// `el2` carries the register's slot in the EL2 register file; `el1` its slot in `el1Known` (or -1).
    enum Target { case el1(SystemRegister, known: Int), el2(Int), gic(SystemRegister), timer(SystemRegister), physicalGIC(SystemRegister) }

    @inline(__always)
    func resolve(_ r: SystemRegister) -> Target {
        let e = routing.entry(r)
        switch e.kind {
        case .el1: return .el1(r, known: Int(e.knownSlot))
        case .el1Redirected:
            // With E2H, an EL2 access to an *_EL1 encoding reaches the *_EL2 register.
            return el2.hcr.contains(.E2H) && currentEL == 2 ? .el2(Int(e.el2Slot)) : .el1(r, known: Int(e.knownSlot))
        case .el2: return .el2(Int(e.el2Slot))
        case .el12Alias: return .el1(SystemRegister(r.op0, 0, r.crn, r.crm, r.op2), known: Int(e.knownSlot))
        // At EL2 the ICC_* encodings reach the physical CPU interface, not the virtual one.
        case .icc: return currentEL == 2 ? .physicalGIC(r) : .gic(r)
        case .ich: return .gic(r)
        case .timer: return .timer(r)
        case .timerEL02: return .timer(SystemRegister(3, 3, 14, r.crm, r.op2))
        }
    }

    /// The guest (or the hardware) changed `r` behind EL2 software's back.
    @inline(__always)
    func forgetEL1(_ r: SystemRegister) {
        let k = routing.entry(r).knownSlot
        if k >= 0 { el1KnownMask &= ~(1 << UInt32(k)) }
    }

    // MARK: Virtual interrupt hardware

    public let vgic = VirtualCPUInterface()
    public let timer = GenericTimer()
}

extension SystemRegisterID {
    init(_ r: SystemRegister) {
        self.init(op0: UInt32(r.op0), op1: UInt32(r.op1), crn: UInt32(r.crn), crm: UInt32(r.crm), op2: UInt32(r.op2))
    }
}

extension SystemRegister {
    init(_ id: SystemRegisterID) {
        self.init(UInt8(truncatingIfNeeded: id.op0), UInt8(truncatingIfNeeded: id.op1), UInt8(truncatingIfNeeded: id.crn),
                  UInt8(truncatingIfNeeded: id.crm), UInt8(truncatingIfNeeded: id.op2))
    }
}

extension Processor {
    /// The Unicorn library in use, as (major, minor, patch).
    public static var unicornVersion: (major: Int, minor: Int, patch: Int) { Engine.version }

    /// The hypervisor is initialised at EL2 with `hcr` before the first entry.
    public func beginAtEL2(hcr: HCR) {
        currentEL = 2
        el2.hcr = hcr
        pstateAtEntry = engine.read(.pstate)
        naturalPC = engine.read(.pc)
    }

    /// Registers a device as present at host PA `address`: what a guest reaches
    /// there with stage 2 off (HCR_EL2.VM = 0). With stage 2 on, a device is
    /// reached through stage-2 aborts only, never through this.
    public func mapDevice(address: UInt64, size: UInt64,
                          read: @escaping (UInt64, Int) -> UInt64,
                          write: @escaping (UInt64, Int, UInt64) -> Void) throws {
        physicalDevices.append(PhysicalDevice(base: address, size: size, read: read, write: write))
    }
}
