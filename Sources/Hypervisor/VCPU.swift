import AArch64
import CostModel
import EL2

/// A virtual CPU: its saved context, its trap configuration and the
/// processor (hardware thread) it runs on.
public final class VCPU: OperationCounter {
    public let index: Int
    public let cpu: Processor
    unowned(unsafe) let vm: VirtualMachine
    var context = CPUContext()
    /// The registers of the world switch, routed once.
    let regs = ExitRegisters()
    /// What this vCPU's exits did, by phase, until the ledger prices it (Metering.swift).
    let metering: VCPUMeter
    /// The guest's HCR_EL2 (KVM's vcpu->arch.hcr_el2).
    var hcr: HCR
    /// The exit's syndrome state, read at EL2 (ESR_EL2, FAR_EL2, HPFAR_EL2).
    var esr = ExceptionSyndrome(raw: 0)
    var far: UInt64 = 0
    var hpfar: UInt64 = 0
    public internal(set) var powerState = PowerState.off
    /// Where the scheduler finds the vCPU (Scheduler.swift).
    var runState = RunState.off
    /// An event that wakes a blocked or waiting vCPU: virtual time and what it is.
    var wake: (time: UInt64, reason: String)?
    /// Virtual interrupts for this vCPU not yet in a list register (KVM's ap_list):
    /// INTID, whether it forwards a physical interrupt (HW=1), when it was sent.
    /// Changed only through the operations at the end of this file.
    private(set) var pendingInterrupts: [PendingInterrupt] = []
    typealias PendingInterrupt = (intid: Int, hw: Bool, at: UInt64)
    /// A blocked vCPU: when it blocked and at which WFI.
    var blockedSince: UInt64 = 0
    var blockedPC: UInt64 = 0
    /// The exit that blocked the vCPU, recorded in the ledger when it resumes.
    var deferredExit: (time: UInt64, pc: UInt64, kind: ExitKind, detail: String)?
    /// CPU_ON was accepted: the first entry happens when the scheduler picks the vCPU.
    var needsFirstEntry = false
    /// The emulated PMU (PMU.swift).
    var pmu = VirtualPMU()

    public enum PowerState: Sendable { case on, off }

    enum RunState: Sendable {
        case off
        /// Loaded on its PE, running the guest.
        case runnable
        /// Loaded, idle in an untrapped WFI until an interrupt reaches its PE.
        case waiting
        /// Blocked by the host in a trapped WFI (kvm_vcpu_block), not loaded.
        case blocked
    }

    /// The addresses of the hypervisor's EL2 vectors (they live in host memory the guest cannot see).
    static let hypVectors: UInt64 = 0xFFFF_8000_1008_0000
    static let hostStubVectors: UInt64 = 0xFFFF_8000_1009_0000

    init(index: Int, vm: VirtualMachine, cpu: Processor, hcr: HCR) {
        self.index = index
        self.vm = vm
        self.cpu = cpu
        self.hcr = hcr
        metering = VCPUMeter(enabled: vm.configuration.ledger)
        context[.SCTLR_EL1] = SCTLR.EL1RES1 // reset value: MMU and caches off
        context[.CPACR_EL1] = CPACR.FPEN      // FP/SIMD enabled at EL1/EL0
        super.init()
        startMetering()
    }

    /// A trap to EL2 begins an exit's entry phase, an ERET its eret phase (Metering.swift).
    public override func willPerform(_ op: HardwareOperation) {
        enter(op == .eret ? .eret : .entry)
    }

    /// Reads ESR_EL2, FAR_EL2 and HPFAR_EL2 for the handlers.
    /// KVM's __populate_fault_info: ESR_EL2 on every exit; FAR_EL2 and
    /// HPFAR_EL2 only for a stage-2 abort, the exits that define them.
    @inline(__always)
    func readFaultState() {
        esr = ExceptionSyndrome(raw: cpu.read(regs.esr))
        // By the raw class: `ec` builds the enum, a switch, on every exit.
        guard esr.ecRaw == ExceptionClass.dataAbortLowerEL.rawValue || esr.ecRaw == ExceptionClass.instructionAbortLowerEL.rawValue else { return }
        far = cpu.read(regs.far)
        hpfar = cpu.read(regs.hpfar)
    }

    /// Called by the world switch once the host has handled the exit: true
    /// when the guest is entered again now (not stopped, blocked or off).
    @inline(__always)
    func finish(_ action: ExitAction) -> Bool {
        // Most exits resume: nothing for the VM to do (`VirtualMachine.finish`).
        if case .resume = action { return !cpu.isParked }
        Unmanaged.passUnretained(vm)._withUnsafeGuaranteedRef { $0.finish(self, action) }   // no retain of vm
        if case .stop = action { return false }
        return !cpu.isParked
    }

    // MARK: The vCPU's registers as exit handlers see them

    /// A guest GPR from the saved context (x31 reads as zero: XZR).
    @inline(__always)
    func gpr(_ n: Int) -> UInt64 {
        loadMemory { cpu.savedGPR(n, in: &context.x) }
    }

    @inline(__always)
    func setGPR(_ n: Int, _ v: UInt64) {
        storeMemory { if n >= 0 && n < 31 { context.x[n] = v } }
    }

    /// Skips the trapped instruction (kvm_incr_pc).
    func advancePC() {
        storeMemory { context.pc &+= 4 }
    }

    /// An EL1 register of the guest (vcpu_read_sys_reg): in memory while the
    /// host's state is loaded (split mode), in the CPU through *_EL12 under VHE.
    func sysreg(_ r: SystemRegister) -> UInt64 {
        if vm.worldSwitch.mode == .vhe { return cpu.read(SystemRegisterSaveRestore.alias(r)) }
        return loadMemory { context[r] }
    }

    func setSysreg(_ r: SystemRegister, _ v: UInt64) {
        if vm.worldSwitch.mode == .vhe { cpu.write(SystemRegisterSaveRestore.alias(r), v); return }
        storeMemory { context[r] = v }
    }

    /// Injects an exception into the guest's EL1 (KVM's inject_fault.c): the
    /// guest's ELR/SPSR/ESR(/FAR)_EL1 are set and it resumes at VBAR_EL1.
    func injectException(esr: ExceptionSyndrome, far: UInt64? = nil) {
        let pstate = ProcessorState(raw: context.pstate)
        setSysreg(.ELR_EL1, context.pc)
        setSysreg(.SPSR_EL1, context.pstate)
        setSysreg(.ESR_EL1, esr.raw)
        if let far { setSysreg(.FAR_EL1, far) }
        let vector = sysreg(.VBAR_EL1) &+ pstate.el1VectorOffset
        storeMemory(2) {
            context.pstate = ProcessorState.entry(to: .el1h).raw
            context.pc = vector
        }
        cpu.noteGuestExceptionEntry(vector: context.pc, from: sysreg(.ELR_EL1))
        // Traced like an exception the hardware takes, so a trace shows what the guest's vector saw.
        cpu.onEvent?(.guestException(pc: sysreg(.ELR_EL1), vector: context.pc, kind: "sync", esr: esr))
        if pstate.daif != .all { cpu.onEvent?(.daif(pc: sysreg(.ELR_EL1), old: pstate.daif, new: .all, cause: "exception entry (sync, injected)")) }
    }

    /// UNDEF into the guest (kvm_inject_undefined).
    func injectUndefined() {
        injectException(esr: .unknown)
    }
}

/// A vCPU's virtual interrupts as the hypervisor keeps them in memory (KVM's
/// vgic_cpu: the ap_list of queued interrupts, and the list registers saved
/// at the last exit). Handlers change them only through these operations;
/// each says what it costs.
extension VCPU {
    /// vgic_queue_irq_unlock: one store. False when `intid` is queued already.
    func enqueue(_ intid: Int, hw: Bool, at time: UInt64) -> Bool {
        storeMemory {
            if pendingInterrupts.contains(where: { $0.intid == intid }) { return false }
            pendingInterrupts.append((intid, hw, time))
            return true
        }
    }

    /// What a flush left queued: its list walk is priced by the list registers it writes.
    func keepQueued(_ kept: [PendingInterrupt]) {
        pendingInterrupts = kept
    }

    /// Takes queued interrupts off the list (a device line that dropped,
    /// GICR_ICPENDR0). Unpriced, as the model always had it.
    func dequeue(where drop: (PendingInterrupt) -> Bool) {
        pendingInterrupts.removeAll(where: drop)
    }

    /// CPU_OFF, or CPU_ON's fresh state: nothing is queued (PSCI's own work, unpriced).
    func clearQueue() {
        pendingInterrupts = []
    }

    /// Writes `intid` into the saved list registers, pending, group 1 (one
    /// store). An LR already holding it active becomes pending+active;
    /// pending stays as is. False when no list register is free.
    func listInterrupt(_ intid: Int, hw: Bool, priority: UInt64, resampleOnEOI: Bool) -> Bool {
        storeMemory {
            var g = context.vgic
            if let i = g.lr.firstIndex(where: { ListRegister.vINTID($0) == UInt64(intid) && $0 & ListRegister.State != 0 }) {
                if !hw { g.lr[i] |= ListRegister.pendingBit }   // a level-forwarded (HW) interrupt re-fires through its physical source
                context.vgic = g
                return true
            }
            guard let free = g.lr.firstIndex(where: { $0 & ListRegister.State == 0 }) else { return false }
            var lr = ListRegister.pendingBit | ListRegister.Group | (priority & 0xFF) << ListRegister.priorityShift | UInt64(intid)
            if hw { lr |= ListRegister.HW | UInt64(intid) << ListRegister.pINTIDShift } else if resampleOnEOI { lr |= ListRegister.EOI }
            g.lr[free] = lr
            context.vgic = g
            return true
        }
    }

    /// Empties a saved list register whose interrupt was withdrawn (its line
    /// dropped). Unpriced, as the model always had it.
    func emptyListRegister(_ i: Int) {
        context.vgic.lr[i] = 0
    }

    /// Clears the pending state of a saved list register (GICR_ICPENDR0).
    /// Unpriced, as the model always had it.
    func clearListRegisterPending(_ i: Int) {
        context.vgic.lr[i] &= ~ListRegister.pendingBit
    }

    /// The end of vgic_flush_lr_state: used_lrs (the next entry restores, and
    /// the next exit saves, only up to the last LR in use) and ICH_HCR_EL2.UIE
    /// (ask for the underflow maintenance interrupt while interrupts wait for a
    /// free LR). Bookkeeping of the flush, priced with its list-register writes.
    func finishFlush(underflow: Bool) {
        if underflow { context.vgic.hcr |= ICH_HCR.UIE } else { context.vgic.hcr &= ~ICH_HCR.UIE }
        context.vgic.usedLRs = (context.vgic.lr.lastIndex { $0 & ListRegister.State != 0 } ?? -1) + 1
    }
}
