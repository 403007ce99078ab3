import AArch64
import EL2

/// A vCPU's (or the host's) register state as the hypervisor keeps it in
/// memory, like KVM's `struct kvm_cpu_context`: GPRs, SP_EL0, PC/PSTATE, the
/// EL1 system registers, ELR/SPSR_EL1, TPIDR*_EL0, and timer and vGIC state.
public struct CPUContext: Sendable {
    public var x = SavedGPRs()
    public var spEL0: UInt64 = 0
    public var pc: UInt64 = 0
    public var pstate: UInt64 = ProcessorState.el1hMasked.raw
    /// The saved system registers, in the fixed slots of `CPUContext.slots`
    /// (a flat array: the world switch touches them on every exit).
    var sysregs = [UInt64](repeating: 0, count: CPUContext.slots.count)
    /// Any other register a handler keeps for the vCPU.
    var otherSysregs: [SystemRegister: UInt64] = [:]
    public var timer = TimerState()
    public var vgic = VGICState()

    public struct TimerState: Sendable {
        public var cntvCtl: UInt64 = 0
        public var cntvCval: UInt64 = 0
        public var cntvoff: UInt64 = 0
        /// The timer registers hold the state, not this copy (KVM's arch_timer_context.loaded).
        public var loaded = false
    }

    public struct VGICState: Sendable {
        public var lr = [UInt64](repeating: 0, count: 4)
        public var hcr = ICH_HCR.En
        public var vmcr: UInt64 = 0
        /// List registers in use (KVM's used_lrs): only these are saved and restored.
        public var usedLRs = 0
    }

    public init() {}

    public subscript(r: SystemRegister) -> UInt64 {
        get {
            if let i = CPUContext.slot(r) { return sysregs[i] }
            return otherSysregs[r] ?? 0
        }
        set {
            if let i = CPUContext.slot(r) { sysregs[i] = newValue } else { otherSysregs[r] = newValue }
        }
    }

    /// The registers with a fixed slot: KVM's EL1 set, then the common state.
    static let slots: [SystemRegister] = SystemRegister.el1Context
        + [.MDSCR_EL1, .TPIDR_EL0, .TPIDRRO_EL0, .SP_EL0, .ACTLR_EL1, .CSSELR_EL1]

    /// MDSCR_EL1, which the VHE switch saves and restores on every exit: its
    /// slot as a constant (checked in `slotTable`), not a table lookup.
    var mdscr: UInt64 {
        get { sysregs[CPUContext.mdscrSlot] }
        set { sysregs[CPUContext.mdscrSlot] = newValue }
    }
    static var mdscrSlot: Int { 19 }

    /// The first slot of `regs`, which must sit in consecutive slots in order.
    static func slotRange(_ regs: [SystemRegister]) -> Int {
        let base = slot(regs[0]) ?? -1
        precondition(base >= 0 && regs.indices.allSatisfy { slot(regs[$0]) == base + $0 }, "registers not in consecutive context slots")
        return base
    }

    /// The slot of `r`, found without hashing (the encoding packed into 16 bits).
    static func slot(_ r: SystemRegister) -> Int? {
        let key = Int(r.op0) << 14 | Int(r.op1) << 11 | Int(r.crn) << 7 | Int(r.crm) << 3 | Int(r.op2)
        let i = slotTable[key & 0xFFFF]
        return i < 0 ? nil : Int(i)
    }

    private static let slotTable: [Int8] = {
        precondition(slots[mdscrSlot] == .MDSCR_EL1, "CPUContext: MDSCR_EL1 out of its slot")
        var t = [Int8](repeating: -1, count: 1 << 16)
        for (i, r) in slots.enumerated() {
            t[Int(r.op0) << 14 | Int(r.op1) << 11 | Int(r.crn) << 7 | Int(r.crm) << 3 | Int(r.op2)] = Int8(i)
        }
        return t
    }()
}
