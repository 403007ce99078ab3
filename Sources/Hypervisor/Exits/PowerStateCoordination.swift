import AArch64
import EL2

/// PSCI's vCPU power management (KVM's psci.c): CPU_ON, CPU_OFF, AFFINITY_INFO.
/// vCPU n has MPIDR Aff0 = n and every other affinity level 0.
extension VirtualMachine {
    /// The vCPU a PSCI target MPIDR names, if it exists.
    func vcpu(mpidr: UInt64) -> VCPU? {
        let aff0 = Int(truncatingIfNeeded: mpidr & 0xFF)
        guard mpidr & 0xFF_00FF_FF00 == 0, aff0 < vcpus.count else { return nil }
        return vcpus[aff0]
    }

    /// CPU_ON: the target starts at `entry` (EL1h, DAIF masked, MMU off) with
    /// the context id in x0, at the caller's virtual time.
    func cpuOn(_ caller: VCPU, target: UInt64, entry: UInt64, contextID: UInt64) -> PSCIReturn {
        // A uniprocessor VM offers no CPU_ON (as the trap tests pin).
        guard vcpus.count > 1 else { return .notSupported }
        guard let t = vcpu(mpidr: target) else { return .invalidParameters }
        guard t.powerState == .off else { return .alreadyOn }
        guard ramOffset(entry, count: 4) != nil, entry & 3 == 0 else { return .invalidAddress }
        var ctx = CPUContext()
        ctx.pc = entry
        ctx.pstate = ProcessorState.el1hMasked.raw
        ctx.x[0] = contextID
        ctx[.SCTLR_EL1] = SCTLR.EL1RES1
        ctx[.CPACR_EL1] = CPACR.FPEN
        ctx.vgic.vmcr = t.context.vgic.vmcr
        t.context = ctx
        t.clearQueue()
        t.wake = nil
        t.powerState = .on
        t.runState = .runnable
        t.needsFirstEntry = true
        t.cpu.advanceClock(to: caller.cpu.clock.cycles)
        caller.cpu.yieldPE()
        if events.isActive {
            events.emit(.psci(vcpu: caller.index, time: caller.cpu.clock.cycles,
                              call: "CPU_ON cpu\(t.index) entry=0x\(String(entry, radix: 16)) context=0x\(String(contextID, radix: 16))",
                              power: .on(vcpu: t.index)))
        }
        return .success
    }

    /// CPU_OFF: the calling vCPU stops; it never returns (unless CPU_ON restarts it).
    func cpuOff(_ vcpu: VCPU) -> (ExitAction, String) {
        vcpu.powerState = .off
        vcpu.runState = .off
        vcpu.clearQueue()
        if events.isActive { events.emit(.psci(vcpu: vcpu.index, time: vcpu.cpu.clock.cycles, call: "CPU_OFF cpu\(vcpu.index)", power: .off(vcpu: vcpu.index))) }
        vcpu.cpu.park()
        return (.resume, "PSCI CPU_OFF")
    }

    /// AFFINITY_INFO (lowest affinity level 0 only): 0 ON, 1 OFF.
    func affinityInfo(_ target: UInt64, level: UInt64) -> UInt64 {
        guard level == 0, let t = vcpu(mpidr: target) else { return PSCIReturn.invalidParameters.register }
        return t.powerState == .on ? 0 : 1
    }
}
