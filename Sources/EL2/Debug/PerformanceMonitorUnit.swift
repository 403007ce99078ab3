import AArch64

/// The PE's own PMUv3, served when MDCR_EL2 does not trap the PMU registers:
/// to a guest that owns EL2 (`--entry-el 2`), which gets it as QEMU's virt
/// gives its EL2 code one. (el2emu's hypervisor traps every access with
/// MDCR_EL2.TPM and emulates its own, so its guests never reach this one.)
/// The counters run on this PE's virtual clock: CPU_CYCLES and the cycle
/// counter in its cycles, INST_RETIRED in its retired instructions, brought
/// up to date at each access, exactly at the accessing instruction (the
/// clock counts a block's instructions at its start), with the filters
/// applied for the EL of the access (EL2 for the guest's EL2 code). Overflow drives PPI 23 to this PE,
/// sampled as a level like the timers'.
extension Processor {
    /// The EL the PMU's filters see: the guest's own EL2 runs at Unicorn's EL1.
    private var pmuExceptionLevel: Int {
        let el = ProcessorState(raw: engine.read(.pstate)).exceptionLevel
        return el == 1 && ownEL2?.el1IsEL2 == true ? 2 : el
    }

    /// nil: UNDEFINED here; left to Unicorn, whose PMU (PMUSERENR_EL0 clear) raises it at EL0.
    func performanceMonitorsRead(_ r: SystemRegister) -> UInt64? {
        let el = pmuExceptionLevel
        guard el != 0 || pmu.allowsEL0(r, isRead: true) else { return nil }
        countPMU(el: el)
        return pmu.read(r)
    }

    func performanceMonitorsWrite(_ r: SystemRegister, _ v: UInt64) -> Bool {
        let el = pmuExceptionLevel
        guard el != 0 || pmu.allowsEL0(r, isRead: false) else { return false }
        countPMU(el: el)
        guard pmu.write(r, v) else { return false }
        countsMemoryAccesses = pmu.pmcr & PerformanceMonitors.pmcrE != 0
        updateVirtualInterruptLines()
        return true
    }

    /// Counts up to the instruction at the PC: the rest of its block, already
    /// on the clock, is taken off (one cycle each).
    private func countPMU(el: Int) {
        let c = clock, pc = engine.read(.pc)
        var ahead: UInt64 = 0
        if let end = gate?.blockEnd(holding: pc), end > pc, end - pc <= 4096 { ahead = (end - pc) / 4 }
        pmu.count(untilCycles: c.cycles &- ahead, instructions: c.instructions &- ahead, memoryAccesses: memoryAccessesRetired, el: el)
    }

    /// Loads and stores retired (counted for each block as it starts, while
    /// `countsMemoryAccesses`).
    public var memoryAccessesRetired: UInt64 { gate?.memoryAccesses ?? 0 }

    /// Set while the PMU the guest sees counts (PMCR_EL0.E): only then do
    /// blocks look up their loads and stores, which costs every block.
    public var countsMemoryAccesses: Bool {
        get { gate?.countsMemoryAccesses ?? false }
        set { gate?.countsMemoryAccesses = newValue }
    }

    /// The loads and stores in the block at `address` (MEM_ACCESS), decoded once.
    func memoryAccesses(inBlock address: UInt64, _ size: UInt32) -> UInt8 {
        if let n = blockMemoryAccesses[address] { return n }
        var n = 0
        if size <= 4096, let bytes = blockBytes(at: address, count: Int(size)) {
            for i in stride(from: 0, to: bytes.count - 3, by: 4) {
                let w = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                if LoadStore(w) != nil { n += 1 }
            }
        }
        let count = UInt8(min(n, 255))
        blockMemoryAccesses[address] = count
        return count
    }
}

extension Processor {
    /// An MRS/MSR of a PMU register, before it executes (a code hook placed
    /// when its block is first seen): when MDCR_EL2 traps it, the exception
    /// to EL2 is taken here rather than in the system-register hook, because
    /// the ERET may deliver an interrupt the access raised (the overflow's
    /// PPI 23), and only a code hook can move the PC mid-block in Unicorn.
    /// On the PE's own PMU, a counter that overflowed before the instruction
    /// interrupts first (the access then runs after the handler).
    func performanceMonitorsTrap(_ pc: UInt64, _ r: SystemRegister, rt: Int, isRead: Bool) {
        if ownEL2 != nil {
            let asserted = pmu.interruptAsserted
            countPMU(el: pmuExceptionLevel)
            if !asserted && pmu.interruptAsserted { guestPhysicalInterruptCheck() }
            return
        }
        guard trapsToEL2(r, isRead: isRead) else { return }
        // PMINTEN*_EL1 at EL0 is UNDEFINED before any trap: left to the system-register path.
        if r.op1 != 3 && ProcessorState(raw: engine.read(.pstate)).exceptionLevel == 0 { return }
        takeSynchronousToEL2(.sys64(r, rt: rt, isRead: isRead), elr: pc, resumePC: pc &+ 4)
        if stopReason == nil && engine.read(.pc) == pc { engine.write(.pc, pc &+ 4) }
    }
}
