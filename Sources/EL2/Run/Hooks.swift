import AArch64
import Unicorn

/// Unicorn's hooks, turned into guest events for the EL2 model. Exits are
/// handled inside the hooks, so the common case never leaves `uc_emu_start`.
extension Processor {
    /// QEMU's exception numbers as Unicorn's INTR hook reports them.
    enum QEMUException: UInt32 {
        case undefined = 1, svc = 2, prefetchAbort = 3, dataAbort = 4, irq = 5, fiq = 6
        case breakpoint = 7, hvc = 11, hypTrap = 12, smc = 13, virq = 14, vfiq = 15
    }

    func installHooks() throws {
        // Every hook but the block gate ends a polling probe (PollingLoop.swift).
        // Unmanaged: an unowned(unsafe) capture is retained at each call, i.e. each exit.
        let me = Unmanaged.passUnretained(self)
        interruptHook = try engine.onInterrupt { intno in me._withUnsafeGuaranteedRef { $0.hookRan(); $0.interrupt(intno) } }
        // Only the accesses the model must see come to Swift (SystemAccessTables.swift); the
        // others end no polling probe, but a block with an MRS/MSR/SYS never polls (PollingLoopEffect).
        let t = SystemAccessTables.shared
        let filter = SystemInstructionFilter(mrs: t.mrs, msr: t.msr, sys: t.sys)
        systemAccessFilter = filter
        try engine.onSystemInstruction(.mrs, filter: filter) { rt, id, v in
            me._withUnsafeGuaranteedRef { $0.hookRan(); return $0.systemRegisterAccess(rt, id, v, isRead: true) }
        }
        try engine.onSystemInstruction(.msr, filter: filter) { rt, id, v in
            me._withUnsafeGuaranteedRef { $0.hookRan(); return $0.systemRegisterAccess(rt, id, v, isRead: false) }
        }
        try engine.onSystemInstruction(.sys, filter: filter) { rt, id, _ in me._withUnsafeGuaranteedRef { $0.hookRan(); return $0.systemInstruction(rt, id) } }
        gate = try engine.blockGate { [unowned(unsafe) self] address, size in self.block(address, size) }
        updateGate()
        if !Engine.restoresPCForMemoryFaults { try engine.syncPCOnMemoryAccess() }
        try engine.onInvalidMemory { [unowned(unsafe) self] access, address, size, value in
            self.hookRan()
            return self.invalidAccess(access, address: address, size: size, value: value)
        }
        engine.onTLBFill { [unowned(unsafe) self] va, access in self.guestEL2RegimeTLBFill(va, access) }
    }

    func interrupt(_ intno: UInt32) {
        guard stopReason == nil else {
            // Unicorn does not honour a stop between exceptions that no block
            // runs between (a vector that faults on fetch): without the hook,
            // the next one is unhandled and ends `uc_emu_start` for good.
            if let h = interruptHook { engine.removeHook(h); interruptHook = nil }
            return
        }
        let exception = QEMUException(rawValue: intno)
        defer { entryPSTATE = nil }
        let pc: UInt64
        if exception == .hvc && ownEL2 == nil {
            // An exit: the entry state read once, the PC with it, and x0 (SMCCC's
            // function ID, which the EL2 software's save reads next) for the lazy save.
            let s = engine.readPSTATEPCAndX0()
            entryPSTATE = s.pstate
            pc = s.pc
            gprs.values[0] = s.x0
            gprs.known |= 1
        } else {
            pc = engine.read(.pc)
        }
        switch exception {
        case .hvc:
            // PC is past the HVC; ELR_EL2 is the next instruction.
            let imm = instructionWord(at: pc &- 4).map { UInt16(truncatingIfNeeded: $0 >> 5) } ?? 0
            if let g = ownEL2 { guestHVC(g, pc: pc, imm: imm); return }
            takeSynchronousToEL2(.hvc(imm16: imm), elr: pc, resumePC: pc)
        case .smc:
            let imm = instructionWord(at: pc &- 4).map { UInt16(truncatingIfNeeded: $0 >> 5) } ?? 0
            if let g = ownEL2 { guestSMC(g, pc: pc, imm: imm); return }
            if el2.hcr.contains(.TSC) {
                // A trapped SMC returns to the SMC itself; the handler adds 4.
                takeSynchronousToEL2(.smc(imm16: imm), elr: pc &- 4, resumePC: pc)
            } else {
                // No EL3 here: SMC is UNDEFINED at EL1.
                undefinedToEL1(pc: pc &- 4)
            }
        case .undefined:
            let word = instructionWord(at: pc)
            if let word, case .hlt(let imm) = Instruction(word), imm == SemihostingOperation.hltImmediate {
                withSoftware { $0.semihostingCall(self) }
                // Always step past the HLT: Unicorn honours a stop only at the next block.
                engine.write(.pc, pc &+ 4)
            } else if let word, memoryTaggingInstruction(word, pc: pc) {
                // FEAT_MTE's instructions, UNDEFINED in Unicorn (MemoryTags.swift).
            } else {
                undefinedToEL1(pc: pc)
            }
        case .svc:
            let imm = instructionWord(at: pc &- 4).map { UInt16(truncatingIfNeeded: $0 >> 5) } ?? 0
            enterEL1(kind: 0, esr: .svc(imm16: imm), returnPC: pc)
        case .breakpoint:
            let imm = instructionWord(at: pc).map { UInt16(truncatingIfNeeded: $0 >> 5) } ?? 0
            enterEL1(kind: 0, esr: ExceptionSyndrome(ec: .brk64, iss: UInt32(imm)), returnPC: pc)
        case .prefetchAbort, .dataAbort:
            stage1Fault(isInstruction: intno == QEMUException.prefetchAbort.rawValue, pc: pc)
        case .irq, .fiq, .virq, .vfiq:
            break  // the model drives interrupts itself; Unicorn's own lines stay low
        case .hypTrap, .none:
            requestStop(.error("unexpected exception \(intno) from the CPU at pc 0x\(String(pc, radix: 16))"))
        }
    }

    func systemRegisterAccess(_ rt: Register, _ id: SystemRegisterID, _ value: UInt64, isRead: Bool) -> Bool {
        // Accesses Unicorn performs with nothing for the model to do never come here (SystemAccessTables.swift).
        let r = SystemRegister(id)
        let pc = engine.read(.pc)
        let n = rt.generalPurposeIndex ?? 31
        // The GICv3 CPU interface does not exist in Unicorn's CPU (its ICC_*
        // accesses are UNDEF there, which ends the translation block), so a
        // served access must step the PC itself; so must an access to an EL2
        // register, UNDEF at Unicorn's EL1. Both end the block, so their PC
        // writes go as `Engine.blockEndsAfterHook` says. A register Unicorn has
        // goes on at the next instruction when the hook skips it.
        let isGIC = r.op0 == 3 && r.op1 == 0 && r.crn == 12 && r.crm >= 8 || r == .ICC_PMR_EL1
        let unicornLacks = isGIC || r.op0 == 3 && r.op1 >= 4 || tagging != nil && r.isMemoryTagging
        engine.blockEndsAfterHook = unicornLacks || ownEL2 != nil
        defer { engine.blockEndsAfterHook = false }
        // MSR DAIF, Xt is seen here rather than by a code hook of its own
        // (`instrument`): Unicorn walks the list of code hooks for every
        // instruction it translates. A site that has one anyway keeps it.
        // An unmask of a pending interrupt: Unicorn performs the write and ends
        // the block (a PC write from this hook would not outlive the block's
        // end), and the next block's slow path takes the interrupt before it runs.
        if !isRead && r == .DAIF && stopReason == nil && instrumentation.msrDAIFSites.contains(pc), let gate {
            let v = n < 31 ? value : 0
            if daifWrite(pc, { _ in InterruptMask(rawValue: UInt8((v >> 6) & 0xF)) }, "MSR DAIF", takeNow: false) {
                instrumentation.delivery = (pc &+ 4, gate.threshold)
                gate.threshold = 0
                forgetEL1(r)
                return false
            }
        }
        // FEAT_MTE's registers, which Unicorn lacks, unless HCR_EL2.ATA traps them to EL2 (MemoryTags.swift).
        if tagging != nil && r.isMemoryTagging && (runsGuestEL2Code || !trapsToEL2(r, isRead: isRead)) {
            return memoryTaggingRegisterAccess(r, rt, n, value, isRead: isRead, pc: pc)
        }
        if let g = ownEL2, let handled = guestEL2Access(g, r, rt, n, value, isRead: isRead, pc: pc) { return handled }
        engine.blockEndsAfterHook = unicornLacks
        // EL2/EL3 registers and the *_EL12 aliases are UNDEFINED at EL1.
        if r.op0 == 3 && r.op1 >= 4 {
            undefinedToEL1(pc: pc)
            return true
        }
        // HCR_EL2's and MDCR_EL2's traps are of EL1/EL0, never of the guest's own EL2 code.
        let trapped = trapsToEL2(r, isRead: isRead) && !runsGuestEL2Code
        // PSTATE, read once and only when needed.
        var pstateRead: UInt64?
        func pstate() -> ProcessorState {
            if pstateRead == nil { pstateRead = engine.read(.pstate) }
            return ProcessorState(raw: pstateRead!)
        }
        // An EL1 register (op1 != 3) the model would trap or serve is UNDEFINED
        // at EL0, before any EL2 trap: left to QEMU, which raises that.
        if r.op1 != 3 && (trapped || isGIC || r.op0 == 2 || isRead && (r == .MIDR_EL1 || r == .MPIDR_EL1))
            && pstate().exceptionLevel == 0 { return false }
        if trapped {
            takeSynchronousToEL2(.sys64(r, rt: n, isRead: isRead), elr: pc, resumePC: pc &+ 4)
            // Every other register a trap takes (TID1-3, TACR, TVM/TRVM) is one Unicorn has.
            if (isGIC || r.isMemoryTagging) && stopReason == nil && el2.elr == pc &+ 4 && engine.read(.pc) == pc { engine.write(.pc, pc &+ 4) }
            return true
        }
        if isRead && r.op0 == 3 && r.op1 == 3 && r.crn == 14 { spinWaitPoll(at: pc) }
        if isRead, let v = hardwareRead(r) {
            if n < 31 { gprsWillChange(); engine.write(rt, v) }
            if isGIC { engine.write(.pc, pc &+ 4) }
            return true
        }
        if !isRead && hardwareWrite(r, n < 31 ? value : 0) {
            // An EOI, DIR or PMR write can let a pending virtual interrupt through:
            // it is taken right after the instruction.
            if isGIC && pendingInterruptKind(for: pstate().daif) != nil {
                deliverPendingInterrupts(returnPC: pc &+ 4)
            } else if isGIC {
                engine.write(.pc, pc &+ 4)
            }
            return true
        }
        if !isRead { forgetEL1(r) }   // Unicorn performs the write
        return false
    }

    /// What the system-access filter decides on changed (HCR_EL2, who owns EL2, MTE): before the guest runs.
    @inline(__always)
    func updateSystemAccessFilter() {
        guard let f = systemAccessFilter else { return }
        f.hcr = el2.hcr.rawValue
        f.all = ownEL2 != nil || tagging != nil
    }

    func systemInstruction(_ rt: Register, _ id: SystemRegisterID) -> Bool {
        let r = SystemRegister(id)
        // The guest's EL2 code: EL2's TLBIs (GuestEL2Regime.swift).
        if let g = ownEL2, let handled = guestEL2SystemInstruction(g, r, rt: rt, pc: engine.read(.pc)) { return handled }
        // TLBI and DC set/way are UNDEFINED at EL0, before any EL2 trap.
        guard systemInstructionTrapsToEL2(r), ProcessorState(raw: engine.read(.pstate)).exceptionLevel != 0, !runsGuestEL2Code else {
            forgetEL1(.PAR_EL1)   // an AT instruction writes PAR_EL1
            return false
        }
        let pc = engine.read(.pc)
        takeSynchronousToEL2(.sys64(r, rt: rt.generalPurposeIndex ?? 31, isRead: false), elr: pc, resumePC: pc &+ 4)
        // Unicorn has every operation a trap takes (TLBI, DC by set/way, AT...):
        // skipped, it goes on at the next instruction with no PC write.
        return true
    }

    /// Each translation block: retire its instructions on virtual time, check
    /// limits and timer deadlines, and instrument new blocks once.
    func block(_ address: UInt64, _ size: UInt32) {
        // A stop asked for inside an exception hook is not always honoured by
        // Unicorn; asking again from a block hook is. So is a parked PE's.
        if stopReason != nil || parked {
            engine.stop()
            return
        }
        // The block after an MSR DAIF that unmasked a pending interrupt: taken before it runs.
        if let (pc, threshold) = instrumentation.delivery {
            instrumentation.delivery = nil
            gate?.threshold = threshold
            if address == pc {
                deliverPendingInterrupts(returnPC: pc)
                return
            }
        }
        // A block comes here on its first run after each translation (the gate, in C).
        if !instrumentation.scannedBlocks.contains(address) {
            instrumentation.scannedBlocks.insert(address)
            if instrument(address, size) {
                // Re-translate with the new hooks and start the block again.
                engine.removeTranslations(begin: address, end: address &+ UInt64(size))
                engine.write(.pc, address)
                return
            }
        }
        pollingProbe(at: address, size)
        gate?.seen(address)
        if let gate, gate.countsMemoryAccesses {
            let accesses = memoryAccesses(inBlock: address, size)
            gate.remember(address, memoryAccesses: accesses)
            gate.memoryAccesses &+= UInt64(accesses)
        }
        gate?.instructions &+= UInt64(size >> 2)
        defer { updateGate() }
        if clock.instructions >= maxInstructions {
            requestStop(.instructionLimit(maxInstructions))
            return
        }
        if clock.cycles >= maxCycles {
            requestStop(.virtualTimeLimit(maxCycles))
            return
        }
        if clock.cycles >= interruptDeadline && interruptChecking { physicalInterruptCheck() }
        if clock.cycles >= runUntil && stopReason == nil {
            runUntilReached = true
            engine.stop()
        }
        countHostCheck()
    }

    /// Decodes a new block and hooks the instructions the model must see
    /// before they execute (WFE, YIELD, DAIF writes, the guest's own ERET).
    func instrument(_ address: UInt64, _ size: UInt32) -> Bool {
        guard size > 0, size <= 4096, let bytes = blockBytes(at: address, count: Int(size)) else { return false }
        return instrument(address, bytes: bytes)
    }

    func instrument(_ address: UInt64, bytes: [UInt8]) -> Bool {
        var added = false
        var i = 0
        while i + 4 <= bytes.count {
            let w = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            let insn = Instruction(w)
            let at = address &+ UInt64(i)
            let wanted: Bool
            switch insn {
            case .wfe: wanted = true
            case .yield: wanted = spinWait.enabled
            case .msrDAIFSet: wanted = interruptChecking && traceDAIF
            case .eret where ownEL2 != nil: wanted = true
            // MSR DAIF, Xt: the MSR hook sees it (`systemRegisterAccess`), unless the guest's EL2 traps it.
            case .systemRegister(.DAIF, _, false): wanted = ownEL2 != nil && mayTrapToGuestEL2(insn)
            case .systemRegister(let r, _, _) where PerformanceMonitors.isRegister(r): wanted = true
            // The guest hypervisor's traps of its guest's MRS/MSR/SYS (GuestEL2WorldSwitch.swift).
            case .systemRegister where ownEL2 != nil && mayTrapToGuestEL2(insn),
                 .system where ownEL2 != nil && mayTrapToGuestEL2(insn): wanted = true
            // FP/SIMD once the guest's EL2 has set CPTR_EL2.TFP (GuestEL2FeatureTraps.swift).
            case _ where ownEL2?.regime.fpSitesHooked == true && insn.accessesFPSIMD: wanted = true
            default: wanted = interruptChecking && insn.writesDAIF
            }
            if case .systemRegister(.DAIF, _, false) = insn, !wanted, interruptChecking, instrumentation.sites[at] == nil {
                // Recorded as a site, and the block run again, as when it had a code hook: virtual
                // time must not change (a block's instructions are counted as it starts).
                instrumentation.sites[at] = insn
                instrumentation.msrDAIFSites.insert(at)
                added = true
            }
            if wanted && instrumentation.sites[at] == nil {
                instrumentation.sites[at] = insn
                if (try? engine.onCode(begin: at, end: at, { [unowned(unsafe) self] a, _ in
                    self.hookRan(); self.instrumentedInstruction(a)
                })) != nil { added = true }
            }
            i += 4
        }
        return added
    }

    func instrumentedInstruction(_ pc: UInt64) {
        guard let insn = instrumentation.sites[pc], stopReason == nil else { return }
        switch insn {
        case .wfe:
            if el2.hcr.contains(.TWE) && !runsGuestEL2Code {
                takeSynchronousToEL2(.wfx(isWFE: true), elr: pc, resumePC: pc)
            }
            // Untrapped WFE completes at once (an implementation may do so: Arm ARM D1.6.1).
        case .yield: spinWaitPoll(at: pc)
        case .msrDAIFSet(let m): daifWrite(pc, { $0.union(m) }, "MSR DAIFSet")
        case .msrDAIFClr(let m): daifWrite(pc, { $0.subtracting(m) }, "MSR DAIFClr")
        case .systemRegister(let r, let rt, false) where r == .DAIF:
            let v = rt < 31 ? engine.read(.x(rt)) : 0
            daifWrite(pc, { _ in InterruptMask(rawValue: UInt8((v >> 6) & 0xF)) }, "MSR DAIF")
        case .eret:
            guestERET(pc)
        case .systemRegister(let r, let rt, let isRead) where PerformanceMonitors.isRegister(r):
            // The guest hypervisor's own MDCR_EL2 traps come first (its guest at EL1).
            if let g = ownEL2 {
                guestEL1TrapCheck(g, insn, pc: pc)
                if g.regime.pending != nil { return }
            }
            performanceMonitorsTrap(pc, r, rt: rt, isRead: isRead)
        case .systemRegister, .system:
            if let g = ownEL2, !guestFPAccessTrap(g, insn, pc: pc) { guestEL1TrapCheck(g, insn, pc: pc) }
        default:
            if let g = ownEL2 { _ = guestFPAccessTrap(g, insn, pc: pc) }   // CPTR_EL2.TFP (GuestEL2FeatureTraps.swift)
        }
    }

    func invalidAccess(_ access: MemoryAccess, address: UInt64, size: Int, value: Int64) -> Bool {
        stage2Abort(access, address: address, size: size, value: value)
    }
}

/// The instructions the model hooks one by one (found when a block is first seen).
struct Instrumentation {
    var sites: [UInt64: Instruction] = [:]
    var scannedBlocks = Set<UInt64>()
    /// The MSR DAIF, Xt sites the MSR hook serves (no code hook of their own).
    var msrDAIFSites = Set<UInt64>()
    /// Where an MSR DAIF that unmasked a pending interrupt returns to, and the gate's threshold before.
    var delivery: (pc: UInt64, threshold: UInt64)?
}
