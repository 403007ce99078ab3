import AArch64
import CostModel
import EL2

/// Split mode (ARMv8.0, nVHE), like KVM's `hyp/nvhe/switch.c`: the host
/// kernel (highvisor) runs at EL1 with its own EL1 state loaded; the lowvisor
/// at EL2 switches ALL EL1 state, traps, stage 2, timer and vGIC on every
/// exit, and ERETs to the highvisor, which handles the exit and calls back
/// with HVC: the double trap.
final class SplitModeSwitch: WorldSwitch {
    let mode = VirtualizationMode.nvhe
    let hostHCR = HCR.hostNVHE
    /// The host kernel's EL1 state: it really takes turns with the guest's in the EL1 registers.
    var host = CPUContext.hostKernel

    func vcpuLoad(_ vcpu: VCPU) {}
    func vcpuPut(_ vcpu: VCPU) {}

    func firstEntry(_ vcpu: VCPU) {
        SystemRegisterSaveRestore.restoreEL1State(vcpu, from: &host)
        vcpu.enter(.restore)
        switchToGuest(vcpu)
    }

    func exit(_ vcpu: VCPU, handle: () -> ExitAction) {
        let cpu = vcpu.cpu
        // __guest_exit and __kvm_vcpu_run's second half, at EL2.
        vcpu.enter(.save)
        cpu.saveGPRs(into: &vcpu.context.x)
        SystemRegisterSaveRestore.saveReturnState(vcpu, into: &vcpu.context)
        vcpu.readFaultState()
        SystemRegisterSaveRestore.saveState(vcpu, into: &vcpu.context)
        TimerSaveRestore.save(vcpu, into: &vcpu.context)
        VGICSaveRestore.save(vcpu, into: &vcpu.context)
        VGICSaveRestore.saveVMCR(vcpu, into: &vcpu.context)
        deactivateTraps(cpu, vcpu)
        cpu.write(vcpu.regs.vttbr, 0)                              // __load_host_stage2
        SystemRegisterSaveRestore.restoreState(vcpu, from: &host)    // host EL1 back in the registers
        vcpu.restoreHostCalleeSaved()

        // ERET to the highvisor at EL1, which handles the exit ...
        vcpu.eretToHighvisor()
        let action = handle()
        // Stopped, or blocked (the host resumes the vCPU later with `reenter`).
        guard vcpu.finish(action) else { return }
        reenter(vcpu)
    }

    /// The highvisor calls the lowvisor again with HVC (kvm_call_hyp(__kvm_vcpu_run)).
    func reenter(_ vcpu: VCPU) {
        vcpu.hvcToLowvisor()
        switchToGuest(vcpu)
    }

    /// The first half of __kvm_vcpu_run: save the host, load the guest, ERET.
    private func switchToGuest(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        vcpu.saveHostCalleeSaved()
        SystemRegisterSaveRestore.saveState(vcpu, into: &host)
        activateTraps(cpu, vcpu)
        cpu.write(vcpu.regs.vttbr, vcpu.vm.stage2.vttbr)           // __load_guest_stage2
        SystemRegisterSaveRestore.restoreState(vcpu, from: &vcpu.context)
        TimerSaveRestore.restore(vcpu, from: &vcpu.context)
        VGICSaveRestore.restoreVMCR(vcpu, from: &vcpu.context)
        VGICSaveRestore.restore(vcpu, from: &vcpu.context)
        SystemRegisterSaveRestore.restoreReturnState(vcpu, from: &vcpu.context)
        cpu.restoreGPRs(&vcpu.context.x)
        cpu.eret()
    }

    /// __activate_traps: the guest's HCR_EL2, CPTR_EL2, MDCR_EL2 and the hyp vectors.
    private func activateTraps(_ cpu: Processor, _ vcpu: VCPU) {
        cpu.write(vcpu.regs.hcr, vcpu.hcr.rawValue)
        cpu.write(vcpu.regs.cptr, CPTR.default.rawValue)
        cpu.write(vcpu.regs.mdcr, PerformanceMonitors.trappingMDCR)   // the PMU is emulated (PMU.swift)
        cpu.write(vcpu.regs.vbarEL2, VCPU.hypVectors)
    }

    /// __deactivate_traps: the host's configuration.
    private func deactivateTraps(_ cpu: Processor, _ vcpu: VCPU) {
        cpu.write(vcpu.regs.hcr, hostHCR.rawValue)
        cpu.write(vcpu.regs.cptr, CPTR.default.rawValue)
        cpu.write(vcpu.regs.mdcr, 0)
        cpu.write(vcpu.regs.vbarEL2, VCPU.hostStubVectors)
    }
}
