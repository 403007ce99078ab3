import AArch64
import EL2

/// A virtual CPU: its saved context, its trap configuration and the
/// processor (hardware thread) it runs on.
public final class VCPU {
    public let index: Int
    public let cpu: Processor
    unowned(unsafe) let vm: VirtualMachine
    var context = CPUContext()
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
    var pendingInterrupts: [PendingInterrupt] = []
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
        context[.SCTLR_EL1] = 0x30D0_0800   // reset value: MMU and caches off
        context[.CPACR_EL1] = 0x30_0000     // FP/SIMD enabled at EL1/EL0
    }

    /// Reads ESR_EL2, FAR_EL2 and HPFAR_EL2 for the handlers.
    /// KVM's __populate_fault_info: ESR_EL2 on every exit; FAR_EL2 and
    /// HPFAR_EL2 only for a stage-2 abort, the exits that define them.
    func readFaultState() {
        esr = ExceptionSyndrome(raw: cpu.read(.ESR_EL2))
        guard esr.ec == .dataAbortLowerEL || esr.ec == .instructionAbortLowerEL else { return }
        far = cpu.read(.FAR_EL2)
        hpfar = cpu.read(.HPFAR_EL2)
    }

    /// Called by the world switch once the host has handled the exit: true
    /// when the guest is entered again now (not stopped, blocked or off).
    func finish(_ action: ExitAction) -> Bool {
        vm.finish(self, action)
        if case .stop = action { return false }
        return !cpu.isParked
    }

    // MARK: The vCPU's registers as exit handlers see them

    /// A guest GPR from the saved context (x31 reads as zero: XZR).
    func gpr(_ n: Int) -> UInt64 {
        cpu.count(.memoryAccess)
        return n >= 0 && n < 31 ? context.x[n] : 0
    }

    func setGPR(_ n: Int, _ v: UInt64) {
        cpu.count(.memoryAccess)
        if n >= 0 && n < 31 { context.x[n] = v }
    }

    /// Skips the trapped instruction (kvm_incr_pc).
    func advancePC() {
        cpu.count(.memoryAccess)
        context.pc &+= 4
    }

    /// An EL1 register of the guest (vcpu_read_sys_reg): in memory while the
    /// host's state is loaded (split mode), in the CPU through *_EL12 under VHE.
    func sysreg(_ r: SystemRegister) -> UInt64 {
        if vm.worldSwitch.mode == .vhe { return cpu.read(SystemRegisterSaveRestore.alias(r)) }
        cpu.count(.memoryAccess)
        return context[r]
    }

    func setSysreg(_ r: SystemRegister, _ v: UInt64) {
        if vm.worldSwitch.mode == .vhe { cpu.write(SystemRegisterSaveRestore.alias(r), v); return }
        cpu.count(.memoryAccess)
        context[r] = v
    }

    /// Injects an exception into the guest's EL1 (KVM's inject_fault.c): the
    /// guest's ELR/SPSR/ESR(/FAR)_EL1 are set and it resumes at VBAR_EL1.
    func injectException(esr: ExceptionSyndrome, far: UInt64? = nil) {
        let pstate = ProcessorState(raw: context.pstate)
        setSysreg(.ELR_EL1, context.pc)
        setSysreg(.SPSR_EL1, context.pstate)
        setSysreg(.ESR_EL1, esr.raw)
        if let far { setSysreg(.FAR_EL1, far) }
        context.pstate = ProcessorState.entry(to: .el1h).raw
        context.pc = sysreg(.VBAR_EL1) &+ pstate.el1VectorOffset
        cpu.count(.memoryAccess, 2)
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
