import AArch64
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
    /// The host's callee-saved registers that __guest_enter/__guest_exit keep (x18-x29, lr).
    static let hostCalleeSaved = 12

    func vcpuLoad(_ vcpu: VCPU) {}
    func vcpuPut(_ vcpu: VCPU) {}

    func firstEntry(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        SystemRegisterSaveRestore.restoreEL1State(cpu, from: &host)
        cpu.phase = .restore
        switchToGuest(vcpu)
    }

    func exit(_ vcpu: VCPU, handle: () -> ExitAction) {
        let cpu = vcpu.cpu
        // __guest_exit and __kvm_vcpu_run's second half, at EL2.
        cpu.phase = .save
        cpu.saveGPRs(into: &vcpu.context.x)
        SystemRegisterSaveRestore.saveReturnState(cpu, into: &vcpu.context)
        vcpu.readFaultState()
        SystemRegisterSaveRestore.saveEL1State(cpu, into: &vcpu.context)
        SystemRegisterSaveRestore.saveCommonState(cpu, into: &vcpu.context)
        TimerSaveRestore.save(cpu, into: &vcpu.context)
        VGICSaveRestore.save(cpu, into: &vcpu.context)
        VGICSaveRestore.saveVMCR(cpu, into: &vcpu.context)
        deactivateTraps(cpu)
        cpu.write(.VTTBR_EL2, 0)                                   // __load_host_stage2
        SystemRegisterSaveRestore.restoreEL1State(cpu, from: &host) // host EL1 back in the registers
        SystemRegisterSaveRestore.restoreCommonState(cpu, from: &host)
        cpu.count(.gprRestore, SplitModeSwitch.hostCalleeSaved)

        // ERET to the highvisor at EL1, which handles the exit ...
        cpu.phase = .highvisor
        cpu.count(.eretToHost)
        cpu.phase = .handler
        let action = handle()
        // Stopped, or blocked (the host resumes the vCPU later with `reenter`).
        guard vcpu.finish(action) else { return }
        reenter(vcpu)
    }

    /// The highvisor calls the lowvisor again with HVC (kvm_call_hyp(__kvm_vcpu_run)).
    func reenter(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        cpu.phase = .highvisor
        cpu.count(.hvcToEL2)
        cpu.phase = .restore
        switchToGuest(vcpu)
    }

    /// The first half of __kvm_vcpu_run: save the host, load the guest, ERET.
    private func switchToGuest(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        cpu.count(.gprSave, SplitModeSwitch.hostCalleeSaved)
        SystemRegisterSaveRestore.saveEL1State(cpu, into: &host)
        SystemRegisterSaveRestore.saveCommonState(cpu, into: &host)
        activateTraps(cpu, vcpu)
        cpu.write(.VTTBR_EL2, vcpu.vm.stage2.vttbr)                // __load_guest_stage2
        SystemRegisterSaveRestore.restoreEL1State(cpu, from: &vcpu.context)
        SystemRegisterSaveRestore.restoreCommonState(cpu, from: &vcpu.context)
        TimerSaveRestore.restore(cpu, from: &vcpu.context)
        VGICSaveRestore.restoreVMCR(cpu, from: &vcpu.context)
        VGICSaveRestore.restore(cpu, from: &vcpu.context)
        SystemRegisterSaveRestore.restoreReturnState(cpu, from: &vcpu.context)
        cpu.restoreGPRs(vcpu.context.x)
        cpu.eret()
    }

    /// __activate_traps: the guest's HCR_EL2, CPTR_EL2, MDCR_EL2 and the hyp vectors.
    private func activateTraps(_ cpu: Processor, _ vcpu: VCPU) {
        cpu.write(.HCR_EL2, vcpu.hcr.rawValue)
        cpu.write(.CPTR_EL2, 0x33FF)
        cpu.write(.MDCR_EL2, PerformanceMonitors.trappingMDCR)   // the PMU is emulated (PMU.swift)
        cpu.write(.VBAR_EL2, VCPU.hypVectors)
    }

    /// __deactivate_traps: the host's configuration.
    private func deactivateTraps(_ cpu: Processor) {
        cpu.write(.HCR_EL2, hostHCR.rawValue)
        cpu.write(.CPTR_EL2, 0x33FF)
        cpu.write(.MDCR_EL2, 0)
        cpu.write(.VBAR_EL2, VCPU.hostStubVectors)
    }
}
