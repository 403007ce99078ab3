import AArch64
import EL2

/// A virtual CPU: its saved context, its trap configuration and the
/// processor (hardware thread) it runs on.
public final class VCPU {
    public let index: Int
    public let cpu: Processor
    unowned let vm: VirtualMachine
    var context = CPUContext()
    /// The guest's HCR_EL2 (KVM's vcpu->arch.hcr_el2).
    var hcr: HCR
    /// The exit's syndrome state, read at EL2 (ESR_EL2, FAR_EL2, HPFAR_EL2).
    var esr = ExceptionSyndrome(raw: 0)
    var far: UInt64 = 0
    var hpfar: UInt64 = 0
    public internal(set) var powerState = PowerState.off
    /// Virtual time at which a blocked (WFI) vCPU wakes, if known.
    var blockedUntil: UInt64?

    public enum PowerState: Sendable { case on, off }

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
    func readFaultState() {
        esr = ExceptionSyndrome(raw: cpu.read(.ESR_EL2))
        far = cpu.read(.FAR_EL2)
        hpfar = cpu.read(.HPFAR_EL2)
    }

    /// Called by the world switch once the host has handled the exit.
    func finish(_ action: ExitAction) {
        vm.finish(self, action)
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
        let offset: UInt64
        switch pstate.mode {
        case .el1t: offset = 0x000
        case .el1h: offset = 0x200
        default: offset = 0x400
        }
        setSysreg(.ELR_EL1, context.pc)
        setSysreg(.SPSR_EL1, context.pstate)
        setSysreg(.ESR_EL1, esr.raw)
        if let far { setSysreg(.FAR_EL1, far) }
        context.pstate = ProcessorState.entry(to: .el1h).raw
        context.pc = sysreg(.VBAR_EL1) &+ offset
        cpu.count(.memoryAccess, 2)
        cpu.noteGuestExceptionEntry(vector: context.pc)
    }

    /// UNDEF into the guest (kvm_inject_undefined).
    func injectUndefined() {
        injectException(esr: .unknown)
    }
}
