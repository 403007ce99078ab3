/// A PMUv3 (FEAT_PMUv3, ARMv8.0; Arm ARM D11, D13.3.x PM*_EL0/EL1) as its
/// registers behave: PMCR_EL0 with N event counters, the set/clear pairs
/// (PMCNTEN, PMOVS, PMINTEN), PMSELR with PMXEVTYPER/PMXEVCNTR, PMEVTYPERn/
/// PMEVCNTRn, the cycle counter with PMCCFILTR, PMSWINC and PMUSERENR. The
/// events counted are those PMCEID0 advertises: SW_INCR, INST_RETIRED,
/// MEM_ACCESS, CPU_CYCLES and CHAIN. Counting is driven from outside (`count(untilCycles:...)`)
/// with a clock of cycles and retired instructions, so the owner decides
/// what time the counters see. The semantics follow Linux's KVM
/// (arch/arm64/kvm/pmu-emul.c, sys_regs.c). Used by the PE's own PMU (EL2)
/// and by the hypervisor's emulated one (Hypervisor/PMU.swift).
public struct PerformanceMonitors: Sendable {
    /// PMCR_EL0.N: the event counters implemented (Unicorn's PE has 4; the cycle counter is index 31).
    public static let counters = 4
    public static let cycleIndex = 31
    /// The PPI of the PMU's overflow interrupt on QEMU's virt (INTID 23).
    public static let interruptID = 23
    /// Events: SW_INCR, INST_RETIRED, CPU_CYCLES, MEM_ACCESS, CHAIN (ARMv8 common event numbers).
    public static let swIncr: UInt64 = 0x00, instRetired: UInt64 = 0x08, cpuCycles: UInt64 = 0x11
    public static let memAccess: UInt64 = 0x13, chain: UInt64 = 0x1E
    /// PMCEID0_EL0: one bit per common event 0x00-0x1F implemented.
    public static let pmceid0: UInt64 = 1 << swIncr | 1 << instRetired | 1 << cpuCycles | 1 << memAccess | 1 << chain
    /// PMCR_EL0 bits.
    public static let pmcrE: UInt64 = 1 << 0, pmcrP: UInt64 = 1 << 1, pmcrC: UInt64 = 1 << 2, pmcrLC: UInt64 = 1 << 6
    /// PMCR_EL0's read-only part: IMP 'A', IDCODE 0, N.
    public static let pmcrReadOnly: UInt64 = 0x41 << 24 | UInt64(counters) << 11
    /// MDCR_EL2 as a hypervisor sets it to emulate this PMU: TPM[6] and TPMCR[5]
    /// trap every PMU register access from EL0/EL1; HPMN[4:0] gives EL1 all counters.
    public static let trappingMDCR: UInt64 = MDCR.TPM | MDCR.TPMCR | UInt64(counters)
    /// The counters a set/clear register has: 0..N-1 and the cycle counter.
    static let implemented: UInt32 = (1 << UInt32(counters)) - 1 | 1 << 31
    /// PMEVTYPER: P[31] U[30] NSK[29] NSU[28] NSH[27] M[26], evtCount[9:0] (ARMv8.0);
    /// PMCCFILTR: the same filter bits, no event.
    static let evtyperMask: UInt64 = 0xFC00_03FF, ccfiltrMask: UInt64 = 0xFC00_0000

    public var pmcr: UInt64 = 0            // the writable bits [7:0] (C and P read as 0)
    public var cntenset: UInt32 = 0
    public var ovsset: UInt32 = 0
    public var intenset: UInt32 = 0
    public var selr: UInt64 = 0
    public var userenr: UInt64 = 0
    public var ccfiltr: UInt64 = 0
    public var ccntr: UInt64 = 0
    public var evtyper = [UInt64](repeating: 0, count: counters)
    public var evcntr = [UInt64](repeating: 0, count: counters)
    /// The owner's clock when the counters were last brought up to date.
    var countedCycles: UInt64 = 0, countedInstructions: UInt64 = 0, countedMemoryAccesses: UInt64 = 0

    public init() {}

    /// Is `r` one of the PMU's registers (the ones MDCR_EL2.TPM traps)?
    public static func isRegister(_ r: SystemRegister) -> Bool {
        guard r.op0 == 3 else { return false }
        if r.op1 == 3 && r.crn == 9 && (12...14).contains(r.crm) { return true }   // PMCR..PMOVSSET
        if r.op1 == 0 && r.crn == 9 && r.crm == 14 && (r.op2 == 1 || r.op2 == 2) { return true }   // PMINTENSET/CLR_EL1
        return r.op1 == 3 && r.crn == 14 && r.crm >= 8   // PMEVCNTRn, PMEVTYPERn, PMCCFILTR
    }

    public static let PMCR_EL0 = SystemRegister(3, 3, 9, 12, 0)

    /// A PMU register's name as the Arm ARM spells it (SystemRegister.description).
    static func name(_ r: SystemRegister) -> String? {
        guard isRegister(r) else { return nil }
        if r.op1 == 3 && r.crn == 14 {
            let n = Int(r.crm & 3) << 3 | Int(r.op2)
            if r.crm == 15 && r.op2 == 7 { return "PMCCFILTR_EL0" }
            return (r.crm < 12 ? "PMEVCNTR" : "PMEVTYPER") + "\(n)_EL0"
        }
        switch (r.op1, r.crm, r.op2) {
        case (3, 12, 0): return "PMCR_EL0"
        case (3, 12, 1): return "PMCNTENSET_EL0"
        case (3, 12, 2): return "PMCNTENCLR_EL0"
        case (3, 12, 3): return "PMOVSCLR_EL0"
        case (3, 12, 4): return "PMSWINC_EL0"
        case (3, 12, 5): return "PMSELR_EL0"
        case (3, 12, 6): return "PMCEID0_EL0"
        case (3, 12, 7): return "PMCEID1_EL0"
        case (3, 13, 0): return "PMCCNTR_EL0"
        case (3, 13, 1): return "PMXEVTYPER_EL0"
        case (3, 13, 2): return "PMXEVCNTR_EL0"
        case (3, 14, 0): return "PMUSERENR_EL0"
        case (3, 14, 3): return "PMOVSSET_EL0"
        case (0, 14, 1): return "PMINTENSET_EL1"
        case (0, 14, 2): return "PMINTENCLR_EL1"
        default: return nil
        }
    }

    /// May EL0 make this access under PMUSERENR_EL0 (EN[0], SW[1], CR[2], ER[3])?
    /// KVM's pmu_*_el0_disabled checks.
    public func allowsEL0(_ r: SystemRegister, isRead: Bool) -> Bool {
        if r.op1 == 0 { return false }                                                // PMINTENSET/CLR_EL1
        if r.op1 == 3 && r.crn == 9 && r.crm == 14 && r.op2 == 0 { return isRead }   // PMUSERENR: read-only at EL0
        let en = userenr & 1 != 0
        switch (r.crn, r.crm, r.op2) {
        case (9, 12, 4): return en || userenr & 2 != 0                              // PMSWINC
        case (9, 13, 0): return en || isRead && userenr & 4 != 0                    // PMCCNTR
        case (9, 12, 5): return en || userenr & 8 != 0                              // PMSELR
        case (9, 13, 2): return en || isRead && userenr & 8 != 0                    // PMXEVCNTR
        case (14, 8...11, _): return en || isRead && userenr & 8 != 0               // PMEVCNTRn
        default: return en
        }
    }

    /// Counts what happened since the last call, given the owner's clock now
    /// (cycles, retired instructions, loads and stores), all at exception
    /// level `el` (the filters are applied for that level). Nothing counts
    /// unless PMCR_EL0.E is set.
    public mutating func count(untilCycles now: UInt64, instructions nowInstructions: UInt64, memoryAccesses nowAccesses: UInt64, el: Int) {
        let cycles = now > countedCycles ? now - countedCycles : 0
        let instructions = nowInstructions > countedInstructions ? nowInstructions - countedInstructions : 0
        let accesses = nowAccesses > countedMemoryAccesses ? nowAccesses - countedMemoryAccesses : 0
        skip(untilCycles: now, instructions: nowInstructions, memoryAccesses: nowAccesses)
        guard pmcr & PerformanceMonitors.pmcrE != 0, cntenset != 0 else { return }
        if cntenset & 1 << 31 != 0 && counts(filter: ccfiltr, el: el) {
            let old = ccntr
            ccntr &+= cycles
            // PMCR_EL0.LC: overflow at 64 bits, else when bits [31:0] wrap.
            let wrapped = pmcr & PerformanceMonitors.pmcrLC != 0 ? ccntr < old : (old & 0xFFFF_FFFF) &+ cycles > 0xFFFF_FFFF
            if wrapped { ovsset |= 1 << 31 }
        }
        for i in 0..<PerformanceMonitors.counters where cntenset & 1 << UInt32(i) != 0 && counts(filter: evtyper[i], el: el) {
            switch evtyper[i] & 0x3FF {
            case PerformanceMonitors.cpuCycles: increment(i, by: cycles)
            case PerformanceMonitors.instRetired: increment(i, by: instructions)
            case PerformanceMonitors.memAccess: increment(i, by: accesses)
            default: break
            }
        }
    }

    /// Moves the counters' clock on to `now` without counting (time the owner
    /// does not count, such as a vCPU blocked in WFI).
    public mutating func skip(untilCycles now: UInt64, instructions nowInstructions: UInt64, memoryAccesses nowAccesses: UInt64) {
        countedCycles = now
        countedInstructions = nowInstructions
        countedMemoryAccesses = nowAccesses
    }

    /// The overflow interrupt's level (kvm_pmu_overflow_status): an enabled
    /// counter overflowed with its interrupt enabled, and PMCR_EL0.E is set.
    public var interruptAsserted: Bool {
        pmcr & PerformanceMonitors.pmcrE != 0 && ovsset & cntenset & intenset != 0
    }

    /// Reads `r`; nil when the access is UNDEFINED (a counter not implemented, PMSWINC).
    public func read(_ r: SystemRegister) -> UInt64? {
        if r.op1 == 3 && r.crn == 14 { return readCounterOrType(Int(r.crm & 3) << 3 | Int(r.op2), type: r.crm >= 12) }
        switch (r.op1, r.crm, r.op2) {
        case (3, 12, 0): return PerformanceMonitors.pmcrReadOnly | pmcr & ~(PerformanceMonitors.pmcrC | PerformanceMonitors.pmcrP)
        case (3, 12, 1), (3, 12, 2): return UInt64(cntenset)
        case (3, 12, 3), (3, 14, 3): return UInt64(ovsset)
        case (0, 14, 1), (0, 14, 2): return UInt64(intenset)
        case (3, 12, 5): return selr
        case (3, 12, 6): return PerformanceMonitors.pmceid0
        case (3, 12, 7): return 0
        case (3, 13, 0): return ccntr
        case (3, 13, 1): return readCounterOrType(Int(selr & 31), type: true)
        case (3, 13, 2): return readCounterOrType(Int(selr & 31), type: false)
        case (3, 14, 0): return userenr
        default: return nil
        }
    }

    /// Writes `r`; false when the access is UNDEFINED. Counting up to now must
    /// be done first (`count`): PMCR_EL0.E, the enables and the filters change what counts.
    public mutating func write(_ r: SystemRegister, _ v: UInt64) -> Bool {
        if r.op1 == 3 && r.crn == 14 { return writeCounterOrType(Int(r.crm & 3) << 3 | Int(r.op2), type: r.crm >= 12, v) }
        let bits = UInt32(truncatingIfNeeded: v) & PerformanceMonitors.implemented
        switch (r.op1, r.crm, r.op2) {
        case (3, 12, 0):
            if v & PerformanceMonitors.pmcrP != 0 { for i in evcntr.indices { evcntr[i] = 0 } }
            if v & PerformanceMonitors.pmcrC != 0 { ccntr = 0 }
            pmcr = v & 0x7F   // E P C D X DP LC; LP (PMUv3p5) is RES0
        case (3, 12, 1): cntenset |= bits
        case (3, 12, 2): cntenset &= ~bits
        case (3, 12, 3): ovsset &= ~bits
        case (3, 14, 3): ovsset |= bits
        case (0, 14, 1): intenset |= bits
        case (0, 14, 2): intenset &= ~bits
        case (3, 12, 4): softwareIncrement(bits)
        case (3, 12, 5): selr = v & 31
        case (3, 13, 0): ccntr = v
        case (3, 13, 1): return writeCounterOrType(Int(selr & 31), type: true, v)
        case (3, 13, 2): return writeCounterOrType(Int(selr & 31), type: false, v)
        case (3, 14, 0): userenr = v & 0xF
        default: return false   // PMCEID0/1 are read-only
        }
        return true
    }

    /// PMSWINC_EL0 (kvm_pmu_software_increment): each enabled counter whose
    /// event is SW_INCR counts one, while PMCR_EL0.E is set.
    mutating func softwareIncrement(_ mask: UInt32) {
        guard pmcr & PerformanceMonitors.pmcrE != 0 else { return }
        for i in 0..<PerformanceMonitors.counters where mask & cntenset & 1 << UInt32(i) != 0
            && evtyper[i] & 0x3FF == PerformanceMonitors.swIncr {
            increment(i, by: 1)
        }
    }

    /// Event counters are 32 bits (PMUv3 before v3p5): a wrap sets the overflow
    /// flag, and counts once on the odd counter above an even one when that
    /// one is enabled and counts CHAIN (kvm_pmu_counter_increment).
    mutating func increment(_ i: Int, by n: UInt64) {
        let v = evcntr[i] &+ n
        evcntr[i] = v & 0xFFFF_FFFF
        guard v > 0xFFFF_FFFF else { return }
        ovsset |= 1 << UInt32(i)
        let odd = i + 1
        if i & 1 == 0 && odd < PerformanceMonitors.counters && cntenset & 1 << UInt32(odd) != 0
            && evtyper[odd] & 0x3FF == PerformanceMonitors.chain {
            increment(odd, by: v >> 32)
        }
    }

    /// Does a counter with this filter (PMEVTYPER/PMCCFILTR) count at `el`?
    /// P[31] excludes EL1, U[30] EL0; NSH[27] includes EL2. No EL3: NSK/NSU play no part.
    func counts(filter f: UInt64, el: Int) -> Bool {
        switch el {
        case 0: return f & 1 << 30 == 0
        case 1: return f & 1 << 31 == 0
        default: return f & 1 << 27 != 0
        }
    }

    func readCounterOrType(_ n: Int, type: Bool) -> UInt64? {
        if n == PerformanceMonitors.cycleIndex { return type ? ccfiltr : nil }
        guard n < PerformanceMonitors.counters else { return nil }
        return type ? evtyper[n] : evcntr[n]
    }

    mutating func writeCounterOrType(_ n: Int, type: Bool, _ v: UInt64) -> Bool {
        if n == PerformanceMonitors.cycleIndex {
            guard type else { return false }
            ccfiltr = v & PerformanceMonitors.ccfiltrMask
            return true
        }
        guard n < PerformanceMonitors.counters else { return false }
        if type { evtyper[n] = v & PerformanceMonitors.evtyperMask } else { evcntr[n] = v & 0xFFFF_FFFF }
        return true
    }
}
