import AArch64
import Unicorn

/// One processing element with the EL2 extensions, emulated: Unicorn runs
/// EL1/EL0; this class is the EL2 hardware around it. It routes guest events
/// by HCR_EL2, takes exceptions to EL2 and calls the EL2 software through
/// `ExceptionVectors`; the software acts on the machine only through the
/// counted operations here (sysreg access, GPR access, ERET, TLBI...).
public final class Processor {
    // MARK: The PE and the software around it

    let engine: Engine
    public let memory: HostMemory
    public let index: Int
    /// Not owned: the software outlives its PEs, and a weak reference would put
    /// the VM's reference counts in a side table, slowing every exit.
    public var software: ExceptionVectors? {
        get { softwareRef?.takeUnretainedValue() }
        set { softwareRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// Unmanaged: called through a guaranteed reference (`withSoftware`); an
    /// unowned(unsafe) optional was retained and released around each call.
    var softwareRef: Unmanaged<ExceptionVectors>?
    /// Told before each exception entry to EL2 and ERET (installed by the software).
    /// Not owned, as `software`.
    public var counter: OperationCounter? {
        get { counterRef?.takeUnretainedValue() }
        set { counterRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    var counterRef: Unmanaged<OperationCounter>?
    /// The operations performed for the EL2 software since it last took them.
    @usableFromInline var tally = OperationTally()
    /// False while the PE works for the debugger or fills its TLB: not the software's operations.
    @usableFromInline var countingEnabled = true
    /// Observers for tracing (set by the software; no EL2 state).
    public var onEvent: ((ProcessorEvent) -> Void)?
    /// Entry at EL2: the guest owns EL2 and no EL2 software of el2emu runs (GuestOwnedEL2.swift).
    public internal(set) var ownEL2: GuestOwnedEL2?

    // MARK: Registers and E2H routing (Registers/)

    /// The EL2 register file. Internal: software goes through `read`/`write`.
    @usableFromInline var el2 = EL2Registers()
    /// Where each encoding goes (held here: a stored static would be checked for initialisation at every access).
    let routing = RegisterRouting.shared
    /// `Engine.mapsPhysicalAddresses`, kept here: the static is a lazy global, behind a once-check at every read.
    let mapsPhysicalAddresses = Engine.mapsPhysicalAddresses
    /// Register values EL2 software already knows (RegisterRouting.swift).
    @usableFromInline var known = KnownRegisters()
    /// Unicorn's GPRs as far as known, for saves read lazily (GeneralPurposeRegisters.swift).
    @usableFromInline var gprs = GPRTracking()
    /// `RegisterRouting.knownEL1` in one Unicorn call, for `flushEL1`.
    let knownBatch = SystemRegisterBatch(RegisterRouting.knownEL1.map(SystemRegisterID.init))
    /// The exception level the model is at: 1 while the guest (or the split-mode
    /// host kernel) runs, 2 while EL2 software runs.
    public internal(set) var currentEL = 1

    // MARK: Exception entry and ERET (Exceptions/)

    /// PC at which the current hook's instruction would naturally continue.
    var naturalPC: UInt64 = 0
    /// PSTATE as the guest left it on entry to EL2; while EL2 software runs,
    /// always what Unicorn's PSTATE holds (see `livePSTATE`).
    var pstateAtEntry: UInt64 = 0
    /// PSTATE as the HVC hook read it with the GPRs, for the exception entry that follows.
    var entryPSTATE: UInt64?
    /// Exceptions taken with no instruction run between them (ExceptionStorm.swift).
    var storm: (vector: UInt64, instructions: UInt64, count: Int) = (.max, 0, 0)

    // MARK: Memory and the stage-2 TLB (Memory/)

    /// Unicorn's memory map as the stage-2 TLB (Stage2TLB.swift).
    let tlb = Stage2TLB()
    /// Aborts found in memory hooks, and the walks behind them (MemoryFaults.swift).
    var faults = FaultTracking()
    /// Devices at host PAs, mapped with Unicorn MMIO callbacks while stage 2 is off.
    var physicalDevices: [PhysicalDevice] = []
    /// The other PEs of the inner shareable domain: a TLBI ...IS reaches their TLBs too.
    public var innerShareablePeers: () -> [Processor] = { [] }

    // MARK: Interrupts and timers (Interrupts/, Timers/)

    /// The physical redistributor's SGI/PPI state for this PE.
    var physical = PhysicalRedistributor()
    /// The PE's own PMU, reached when MDCR_EL2 does not trap it (PerformanceMonitorUnit.swift).
    var pmu = PerformanceMonitors()
    /// Each block's loads and stores, for the PMU's MEM_ACCESS (PerformanceMonitorUnit.swift).
    var blockMemoryAccesses: [UInt64: UInt8] = [:]
    /// The GICv3 virtual CPU interface (ICH_*, ICV_*) and the generic timer.
    let vgic = VirtualCPUInterface()
    let timer = GenericTimer()
    /// The virtual time at which a physical interrupt next becomes pending
    /// (timer deadline), 0 when one is pending now; checked once per block.
    /// Set by `recomputeInterruptLines` (Interrupts.swift), and to .max where nothing can take one.
    var interruptDeadline: UInt64 = .max { didSet { updateGate() } }
    /// EL2 software changed interrupt state; `interruptDeadline` is recomputed on leaving EL2.
    @usableFromInline var interruptLinesStale = false
    /// PC of the WFI the PE waits in (an untrapped WFI), if it waits.
    var waitingPC: UInt64?
    /// Checking for virtual interrupts where the guest can take one (DAIF
    /// writes, ERET) and for timer deadlines at each block. Off only to
    /// measure what the checking costs; interrupts are then not delivered.
    public var interruptChecking = true
    /// Trace every DAIF change. Without it, MSR DAIFSet (which can only mask,
    /// never let an interrupt in) is not instrumented: one code hook less.
    public var traceDAIF = true
    /// Polling of the timer, fast-forwarded (SpinWait.swift).
    var spinWait = SpinWait()

    // MARK: The clock and the run's bounds (Timers/, Run/)

    /// Virtual time. Guest instructions are counted by the block gate in C and
    /// folded in whenever the clock is read.
    public internal(set) var clock: VirtualClock {
        @inlinable get { syncClock(); return storedClock }
        set { storedClock = newValue; updateGate() }
    }
    @usableFromInline var storedClock = VirtualClock()
    /// The gate's count (instructions times 4) the clock has retired up to.
    @usableFromInline var syncedInstructionBytes: UInt64 = 0
    @usableFromInline var gate: BlockGate?
    /// The C side of the MRS/MSR/SYS hooks (`updateSystemAccessFilter`).
    var systemAccessFilter: SystemInstructionFilter?
    /// The EL2 software runs (no guest block can): `updateGate` waits until it returns (`finishEL2`).
    var gateDeferred = false
    var gateStale = false
    /// The virtual time `run(until:)` runs to (the caller's; a scheduler's slice end).
    var runUntil: UInt64 = .max { didSet { updateGate() } }
    var runUntilReached = false
    /// The EL2 software gave up the PE without an ERET (a blocked vCPU): `run` returns `.parked`.
    @usableFromInline var parked = false { didSet { updateGate() } }
    /// Limits: the run stops cleanly when one is reached.
    public var maxInstructions: UInt64 = .max { didSet { updateGate() } }
    public var maxCycles: UInt64 = .max { didSet { updateGate() } }
    public var hostDeadline: UInt64 = .max  // host monotonic ns
    var hostTimeoutSeconds: Double = 0
    /// Hooks and slow gate calls left before the next look at the host (HostLimits.swift).
    var hostCheckCountdown = Processor.hostCheckInterval
    var stopReason: StopReason?

    // MARK: Hooks and fast-forwards (Run/)

    /// The instructions given their own hooks (Hooks.swift).
    var instrumentation = Instrumentation()
    /// The exception hook, removed once the run has stopped (Hooks.swift).
    var interruptHook: Engine.Handle?
    /// Polling loops on memory, fast-forwarded exactly (PollingLoop.swift); on by default.
    public var fastForwardsPollingLoops = true
    /// Guest instructions the polling-loop fast-forward counted without running them.
    public internal(set) var pollingInstructionsSkipped: UInt64 = 0
    /// The fast-forward's probe of the current block (PollingLoop.swift).
    var polling = PollingProbe()

    // MARK: Self-hosted debug (Debug/)

    /// MDSCR_EL1, the OS lock, DBGBVR/BCR/WVR/WCR<n>_EL1, PSTATE.SS and the debug hooks armed (DebugRegisters.swift).
    var debug = SelfHostedDebug()

    // MARK: Memory tagging (Memory/MemoryTags.swift): nil without FEAT_MTE

    var tagging: MemoryTaggingRegisters?

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

    deinit { known.deallocate(); gprs.deallocate(); tally.deallocate() }

    /// Lends the operations performed since the last take to `body`, and forgets them.
    @inlinable @inline(__always)
    public func takeOperations(_ body: (HardwareOperation, Int) -> Void) {
        tally.drain(body)
    }

    /// From now on counts the operations performed into `table` (indexed by
    /// `HardwareOperation.rawValue`, owned and cleared by the software), and
    /// returns the mask (bit = rawValue) of those counted into the previous
    /// table since the last call: a software that books operations by phase
    /// gives the PE one table per phase and takes nothing else.
    @inlinable @inline(__always)
    public func countOperations(into table: UnsafeMutablePointer<Int>) -> UInt64 {
        tally.count(into: table)
    }
}
