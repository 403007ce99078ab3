import AArch64

/// A vCPU's (or the host's) register state as the hypervisor keeps it in
/// memory, like KVM's `struct kvm_cpu_context`: GPRs, SP_EL0, PC/PSTATE, the
/// EL1 system registers, ELR/SPSR_EL1, TPIDR*_EL0, and timer and vGIC state.
public struct CPUContext: Sendable {
    public var x = [UInt64](repeating: 0, count: 31)
    public var spEL0: UInt64 = 0
    public var pc: UInt64 = 0
    public var pstate: UInt64 = ProcessorState.el1hMasked.raw
    /// The EL1 registers of `SystemRegisterSaveRestore.el1State`, in that order.
    public var sysregs: [SystemRegister: UInt64] = [:]
    public var timer = TimerState()
    public var vgic = VGICState()

    public struct TimerState: Sendable {
        public var cntvCtl: UInt64 = 0
        public var cntvCval: UInt64 = 0
        public var cntvoff: UInt64 = 0
    }

    public struct VGICState: Sendable {
        public var lr = [UInt64](repeating: 0, count: 4)
        public var hcr: UInt64 = 1      // En
        public var vmcr: UInt64 = 0
        /// List registers in use (KVM's used_lrs): only these are saved and restored.
        public var usedLRs = 0
    }

    public init() {}

    public subscript(r: SystemRegister) -> UInt64 {
        get { sysregs[r] ?? 0 }
        set { sysregs[r] = newValue }
    }
}
