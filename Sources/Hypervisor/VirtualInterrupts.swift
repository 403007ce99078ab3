import AArch64
import EL2

/// Blocking in WFI, the virtual timer's interrupt, and injection into the list registers.
extension VirtualMachine {
    /// kvm_vcpu_block: the blocked vCPU sleeps until its timer or an interrupt.
    func block(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        let start = cpu.clock.cycles
        if vcpu.context.vgic.lr.contains(where: { $0 >> 62 == 1 }) {
            events.emit(.blocked(vcpu: vcpu.index, time: start, pc: vcpu.context.pc &- 4, cycles: 0, woken: "interrupt already pending"))
            return
        }
        // Blocking schedules the vCPU out (kvm_arch_vcpu_put): under VHE that
        // saves its timer, which lives in the CPU until then, so the deadline
        // below reads the guest's real CNTV_*; split mode saved it at the exit.
        worldSwitch.vcpuPut(vcpu)
        defer { worldSwitch.vcpuLoad(vcpu) }
        guard let deadline = timerDeadline(vcpu) else {
            cpu.requestStop(.deadlock(pc: vcpu.context.pc &- 4))
            return
        }
        cpu.advanceClock(to: deadline)
        injectInterrupt(vcpu, intid: GenericTimer.virtualPPI)
        if events.isActive {
            events.emit(.blocked(vcpu: vcpu.index, time: start, pc: vcpu.context.pc &- 4, cycles: cpu.clock.cycles &- start, woken: "virtual timer (PPI 27)"))
        }
    }

    /// When the vCPU's virtual timer fires, in cycles, if it is armed and unmasked.
    func timerDeadline(_ vcpu: VCPU) -> UInt64? {
        let t = vcpu.context.timer
        guard t.cntvCtl & 3 == 1 else { return nil }
        let physical = t.cntvCval &+ t.cntvoff
        return vcpu.cpu.clock.ticksToCycles(physical)
    }

    /// Is the vCPU's virtual timer asserting its interrupt (CTL: ENABLE, not IMASK, ISTATUS)?
    /// Split mode saved the timer at the exit; under VHE it is still in the CPU.
    func virtualTimerAsserted(_ vcpu: VCPU) -> Bool {
        let ctl = worldSwitch.mode == .vhe ? vcpu.cpu.read(.CNTV_CTL_EL0) : vcpu.context.timer.cntvCtl
        return ctl & 0b111 == 0b101
    }

    /// Puts an interrupt in a free list register of the vCPU's saved vGIC state (pending, group 1).
    func injectInterrupt(_ vcpu: VCPU, intid: Int, priority: UInt64 = 0xA0) {
        var g = vcpu.context.vgic
        if g.lr.contains(where: { $0 & 0xFFFF_FFFF == UInt64(intid) && $0 >> 62 != 0 }) { return }
        guard let free = g.lr.firstIndex(where: { $0 >> 62 == 0 }) else { return }
        g.lr[free] = 1 << 62 | 1 << 60 | priority << 48 | UInt64(intid)
        g.usedLRs = max(g.usedLRs, free + 1)
        vcpu.context.vgic = g
        vcpu.cpu.count(.memoryAccess)
    }

    func sendSGI(from vcpu: VCPU, value: UInt64) {
        let intid = Int((value >> 24) & 0xF)
        let targets = value & 0xFFFF
        let irm = value & (1 << 40) != 0
        for v in vcpus where irm ? v !== vcpu : targets & (1 << UInt64(v.index)) != 0 {
            if v === vcpu { injectInterrupt(v, intid: intid) }
        }
    }
}
