import AArch64
import Unicorn

/// Which guest MRS, MSR and SYS accesses the model must see, decided once
/// per encoding for the C hooks (`SystemInstructionFilter`): most accesses
/// (SP_EL0, TPIDR_EL1, DAIF reads, DC ZVA...) are of a register or an
/// operation Unicorn has, that nothing traps or serves, and Unicorn performs
/// them with no call into Swift. What the tables cannot see (a guest that
/// owns EL2, MTE) sends every access to the model (`SystemInstructionFilter.all`).
enum SystemAccessTables {
    /// MRS, MSR and SYS, 65,536 entries each, indexed by op0:op1:CRn:CRm:op2 (only op0 = 3, resp. 1, evaluated); built once, never freed.
    static let shared: (mrs: UnsafePointer<UInt8>, msr: UnsafePointer<UInt8>, sys: UnsafePointer<UInt8>) = (
        table(op0: 3...3) { entry($0, isRead: true) },
        table(op0: 3...3) { entry($0, isRead: false) },
        table(op0: 1...1) { instructionEntry($0) })

    /// Entries outside `op0` (MRS/MSR of op0 = 2, the debug registers, which the model serves) are the model's.
    private static func table(op0: ClosedRange<Int>, _ entry: (SystemRegister) -> UInt8) -> UnsafePointer<UInt8> {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
        t.initialize(repeating: SystemInstructionFilter.model, count: 1 << 16)
        for i in op0.lowerBound << 14 ..< (op0.upperBound + 1) << 14 {
            t[i] = entry(SystemRegister(UInt8(i >> 14), UInt8(i >> 11 & 7), UInt8(i >> 7 & 15), UInt8(i >> 3 & 15), UInt8(i & 7)))
        }
        return UnsafePointer(t)
    }

    /// An MRS or MSR (`systemRegisterAccess`): the model serves the debug
    /// registers (op0 = 2), the timer, the GIC CPU interface, MIDR/MPIDR reads
    /// and the PMU; EL2 registers are UNDEFINED at EL1; a DAIF write may
    /// unmask a pending interrupt; CPACR_EL1 traps on CPTR_EL2.TCPAC; a
    /// written register EL2 software knows is forgotten (`forgetEL1`). The
    /// rest traps on the HCR_EL2 bits `hcrTrapControls` names.
    static func entry(_ r: SystemRegister, isRead: Bool) -> UInt8 {
        let served = r.op0 != 3 || r.op1 >= 4 || r.op1 == 3 && r.crn == 14 || r.op1 == 0 && r.crn == 12 && r.crm >= 8
            || r == .ICC_PMR_EL1 || (isRead ? r == .MIDR_EL1 || r == .MPIDR_EL1 : r == .DAIF)
            || PerformanceMonitors.isRegister(r) || r == .CPACR_EL1
            || !isRead && RegisterRouting.shared.entry(r).knownSlot >= 0
        return served ? SystemInstructionFilter.model : entry(Processor.hcrTrapControls(r, isRead: isRead))
    }

    /// A SYS (`systemInstruction`): an AT writes PAR_EL1, which EL2 software may know.
    static func instructionEntry(_ r: SystemRegister) -> UInt8 {
        if r.crn == 7 && (r.crm == 8 || r.crm == 9) { return SystemInstructionFilter.model }
        return entry(Processor.hcrTrapControls(instruction: r))
    }

    /// No trap: Unicorn's; one HCR_EL2 bit: 1 + its number; more: the model's.
    private static func entry(_ c: HCR) -> UInt8 {
        if c.isEmpty { return 0 }
        return c.rawValue.nonzeroBitCount == 1 ? 1 + UInt8(c.rawValue.trailingZeroBitCount) : SystemInstructionFilter.model
    }
}
