import AArch64
import EL2

/// The vCPU's PMUv3, emulated in software as KVM's pmu-emul.c does: the world
/// switch sets MDCR_EL2.TPM/TPMCR (HPMN = N), so every PMU register access of
/// the guest traps to EL2 (EC 0x18) and is served here from the vCPU's copy
/// (`PerformanceMonitors`). Where KVM backs each counter with a host perf
/// event, the counters here run on the vCPU's processor: CPU_CYCLES and the
/// cycle counter on its virtual clock (guest instructions, one cycle each,
/// plus the modelled cycles of its exits; not while blocked in WFI),
/// INST_RETIRED and MEM_ACCESS on its retired instructions and loads/stores.
/// They are brought up to date at each PMU access and, while PMCR_EL0.E is
/// set, at each entry; the filters apply the EL the guest is at then. An
/// overflow with its interrupt enabled drives PPI 23, level-sensitive, through
/// the vGIC (kvm_pmu_update_state); it is seen at those same points.
struct VirtualPMU {
    var registers = PerformanceMonitors()
    /// The interrupt line's level as the vGIC last saw it.
    var line = false
}

extension VirtualMachine {
    /// A trapped MRS/MSR of a PMU register (KVM's access_pm* handlers).
    func handlePerformanceMonitors(_ vcpu: VCPU, _ r: SystemRegister, rt: Int, isRead: Bool) -> (ExitAction, String) {
        let text = detail(isRead ? "SYS64 MRS x\(rt), \(r)" : "SYS64 MSR \(r), x\(rt)")
        let el = ProcessorState(raw: vcpu.context.pstate).exceptionLevel
        countPMU(vcpu, el: el)
        // A counter overflowed before this instruction (KVM's perf event would
        // have interrupted the guest then): the interrupt comes first, and the
        // access runs again after it, as if it had arrived just before.
        if updatePMUInterrupt(vcpu) { return (.resume, text + ": PPI 23 first (a counter overflowed before it)") }
        // EL0: the guest's PMUSERENR_EL0 decides (the PE's lets every access reach EL2).
        if el == 0 && !vcpu.pmu.registers.allowsEL0(r, isRead: isRead) {
            vcpu.injectUndefined()
            return (.resume, text + ": UNDEF injected (PMUSERENR_EL0)")
        }
        if isRead {
            guard let v = vcpu.pmu.registers.read(r) else { vcpu.injectUndefined(); return (.resume, text + ": UNDEF injected") }
            vcpu.setGPR(rt, v)
        } else {
            guard vcpu.pmu.registers.write(r, vcpu.gpr(rt)) else { vcpu.injectUndefined(); return (.resume, text + ": UNDEF injected") }
            vcpu.cpu.countsMemoryAccesses = vcpu.pmu.registers.pmcr & PerformanceMonitors.pmcrE != 0
            updatePMUInterrupt(vcpu)
        }
        vcpu.advancePC()
        return (.resume, text)
    }

    /// Brings the counters up to the processor's clock (the guest at `el` meanwhile).
    func countPMU(_ vcpu: VCPU, el: Int) {
        let clock = vcpu.cpu.clock
        vcpu.storeMemory {   // the vCPU's PMU registers, in memory
            vcpu.pmu.registers.count(untilCycles: clock.cycles, instructions: clock.instructions,
                                     memoryAccesses: vcpu.cpu.memoryAccessesRetired, el: el)
        }
    }

    /// kvm_pmu_flush_hwstate, part of `flush` before each entry: only while
    /// counting is on, so a guest that never enables its PMU pays one test.
    func flushPMU(_ vcpu: VCPU) {
        guard vcpu.pmu.registers.pmcr & PerformanceMonitors.pmcrE != 0 else { return }
        countPMU(vcpu, el: ProcessorState(raw: vcpu.context.pstate).exceptionLevel)
        updatePMUInterrupt(vcpu)
    }

    /// A blocked vCPU resumes (its clock moved on to the wake-up): the counters
    /// count up to the WFI and not the time blocked, as a perf event of the
    /// vCPU's thread does not while the thread sleeps.
    func skipBlockedTimeOnPMU(_ vcpu: VCPU) {
        guard vcpu.pmu.registers.pmcr & PerformanceMonitors.pmcrE != 0 else { return }
        let clock = vcpu.cpu.clock
        let accesses = vcpu.cpu.memoryAccessesRetired
        vcpu.pmu.registers.count(untilCycles: vcpu.blockedSince, instructions: clock.instructions, memoryAccesses: accesses,
                                 el: ProcessorState(raw: vcpu.context.pstate).exceptionLevel)
        vcpu.pmu.registers.skip(untilCycles: clock.cycles, instructions: clock.instructions, memoryAccesses: accesses)
    }

    /// kvm_pmu_update_state: PPI 23 follows the overflow status. A rising line
    /// queues the interrupt (true); a falling one takes back what the guest has not acknowledged.
    @discardableResult
    func updatePMUInterrupt(_ vcpu: VCPU) -> Bool {
        let level = vcpu.pmu.registers.interruptAsserted
        guard level != vcpu.pmu.line else { return false }
        vcpu.pmu.line = level
        let intid = PerformanceMonitors.interruptID
        if level {
            queue(vcpu, intid: intid)
            return true
        }
        vcpu.dequeue { $0.intid == intid }
        for i in 0..<vcpu.context.vgic.lr.count {
            let lr = vcpu.context.vgic.lr[i]
            if ListRegister.vINTID(lr) == UInt64(intid) && lr & ListRegister.State == ListRegister.pendingBit { vcpu.emptyListRegister(i) }
        }
        return false
    }
}
