import AArch64
import EL2

/// The timer PPIs are level-sensitive: the interrupt is pending while the
/// timer's output is asserted (enabled, condition met, not masked), not
/// because it once was. Like KVM (kvm_timer_should_fire; vgic_v3_fold_lr_state
/// samples the line behind a mapped level interrupt the guest has not
/// acknowledged, vgic_get_phys_line_level), the host samples the line before
/// it lists a forwarded timer interrupt and when it refills the list
/// registers: one whose line has dropped (the guest disabled, masked or
/// re-armed the timer) is withdrawn and its physical PPI deactivated, "since
/// we will otherwise never be told when the interrupt becomes asserted
/// again"; it is never delivered late.
extension VirtualMachine {
    /// Is the timer behind `intid` asserting its output now? nil: not a timer PPI.
    func timerLine(_ vcpu: VCPU, intid: Int) -> Bool? {
        let cpu = vcpu.cpu
        switch intid {
        case GenericTimer.virtualPPI:
            let t = vcpu.context.timer
            // CTL: ENABLE[0] IMASK[1] ISTATUS[2].
            if t.loaded { return cpu.read(.CNTV_CTL_EL0) & 7 == 5 }
            // The saved CTL/CVAL/CNTVOFF: one load, as the timer's saved state is read.
            return vcpu.loadMemory { t.cntvCtl & 3 == 1 && cpu.clock.counter &- t.cntvoff >= t.cntvCval }
        case GenericTimer.physicalPPI:
            return cpu.read(.CNTP_CTL_EL0) & 7 == 5
        default:
            return nil
        }
    }

    /// A forwarded timer interrupt whose line has dropped: no longer pending
    /// anywhere, and its physical PPI inactive again.
    func withdrawTimerInterrupt(_ vcpu: VCPU, intid: Int) {
        vcpu.cpu.setPhysicalActive(intid, false)
        if events.isActive { events.emit(.hardware(vcpu: vcpu.index, time: currentCPU.clock.cycles, .virtualInterrupt(intid: intid, pending: false))) }
    }

    /// Samples the lines behind the HW=1 list registers the guest has not
    /// acknowledged yet (pending, not active) and empties those that dropped.
    @inline(__always)
    func resampleTimerListRegisters(_ vcpu: VCPU) {
        // Inline: most exits have no list register in use.
        guard vcpu.context.vgic.usedLRs > 0 else { return }
        resampleUsedTimerListRegisters(vcpu)
    }

    @inline(never)
    private func resampleUsedTimerListRegisters(_ vcpu: VCPU) {
        for i in 0..<vcpu.context.vgic.usedLRs {
            let lr = vcpu.context.vgic.lr[i]
            guard lr & ListRegister.State == ListRegister.pendingBit, lr & ListRegister.HW != 0 else { continue }
            let intid = Int(ListRegister.vINTID(lr))
            if timerLine(vcpu, intid: intid) == false {
                vcpu.emptyListRegister(i)
                withdrawTimerInterrupt(vcpu, intid: intid)
            }
        }
    }
}
