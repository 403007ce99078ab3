import AArch64
import CostModel
import EL2

/// VHE (ARMv8.1, HCR_EL2.E2H, host kernel at EL2), like KVM's
/// `hyp/vhe/switch.c`: the host's own state lives in EL2 registers, so the
/// guest's EL1 state, stage 2, the timer and ICH_VMCR_EL2 are loaded at
/// vcpu_load and saved at vcpu_put; an exit switches only the GPRs, ELR/SPSR,
/// MDSCR, the list registers in use and the trap configuration.
final class VHESwitch: WorldSwitch {
    let mode = VirtualizationMode.vhe
    let hostHCR = HCR.hostVHE

    /// kvm_vcpu_load_vhe + kvm_vcpu_load_sysregs_vhe: guest EL1 state through *_EL12.
    func vcpuLoad(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        SystemRegisterSaveRestore.restoreEL1State(vcpu, from: &vcpu.context, viaEL12: true)
        cpu.write(.TPIDR_EL0, vcpu.context[.TPIDR_EL0])
        cpu.write(.TPIDRRO_EL0, vcpu.context[.TPIDRRO_EL0])
        cpu.write(.SP_EL0, vcpu.context[.SP_EL0])
        cpu.write(.VTTBR_EL2, vcpu.vm.stage2.vttbr)
        TimerSaveRestore.restore(vcpu, from: &vcpu.context)
        VGICSaveRestore.restoreVMCR(vcpu, from: &vcpu.context)   // vgic_v3_load
    }

    func vcpuPut(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        SystemRegisterSaveRestore.saveEL1State(vcpu, into: &vcpu.context, viaEL12: true)
        vcpu.context[.TPIDR_EL0] = cpu.read(.TPIDR_EL0)
        vcpu.context[.TPIDRRO_EL0] = cpu.read(.TPIDRRO_EL0)
        vcpu.context[.SP_EL0] = cpu.read(.SP_EL0)
        TimerSaveRestore.save(vcpu, into: &vcpu.context)
        VGICSaveRestore.saveVMCR(vcpu, into: &vcpu.context)      // vgic_v3_put
        cpu.write(.VTTBR_EL2, 0)
    }

    func firstEntry(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        cpu.write(.HCR_EL2, hostHCR.rawValue)
        // The PMU is emulated (PMU.swift); the host at EL2 is not trapped, so MDCR_EL2 stays.
        cpu.write(.MDCR_EL2, PerformanceMonitors.trappingMDCR)
        vcpuLoad(vcpu)
        vcpu.enter(.restore)
        enterGuest(vcpu)
    }

    func exit(_ vcpu: VCPU, handle: () -> ExitAction) {
        let cpu = vcpu.cpu
        // __guest_exit, then the rest of __kvm_vcpu_run_vhe.
        vcpu.enter(.save)
        cpu.saveGPRs(into: &vcpu.context.x)
        // With E2H, the ELR_EL1/SPSR_EL1 encodings reach ELR_EL2/SPSR_EL2.
        SystemRegisterSaveRestore.saveReturnState(vcpu, into: &vcpu.context, viaEL1: true)
        vcpu.readFaultState()
        vcpu.context.mdscr = cpu.read(vcpu.regs.mdscr)             // sysreg_save_guest_state_vhe
        VGICSaveRestore.save(vcpu, into: &vcpu.context)
        deactivateTraps(cpu, vcpu)

        vcpu.enter(.handler)
        let action = handle()
        // Stopped, or blocked (the host resumes the vCPU later with `reenter`).
        guard vcpu.finish(action) else { return }
        reenter(vcpu)
    }

    func reenter(_ vcpu: VCPU) {
        vcpu.enter(.restore)
        enterGuest(vcpu)
    }

    @inline(__always)
    private func enterGuest(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        activateTraps(cpu, vcpu)
        cpu.write(vcpu.regs.mdscr, vcpu.context.mdscr)            // sysreg_restore_guest_state_vhe
        VGICSaveRestore.restore(vcpu, from: &vcpu.context)
        SystemRegisterSaveRestore.restoreReturnState(vcpu, from: &vcpu.context, viaEL1: true)
        cpu.restoreGPRs(&vcpu.context.x)
        cpu.eret()
    }

    /// __activate_traps (VHE): the guest's HCR_EL2 (E2H kept, TGE clear), CPACR_EL1 (CPTR_EL2), hyp vectors.
    @inline(__always)
    private func activateTraps(_ cpu: Processor, _ vcpu: VCPU) {
        cpu.write(vcpu.regs.hcr, vcpu.hcr.union(.E2H).rawValue)
        cpu.write(vcpu.regs.cpacrEL1, CPACR.FPEN)
        cpu.write(vcpu.regs.vbarEL1, VCPU.hypVectors)
    }

    @inline(__always)
    private func deactivateTraps(_ cpu: Processor, _ vcpu: VCPU) {
        cpu.write(vcpu.regs.hcr, hostHCR.rawValue)
        cpu.write(vcpu.regs.cpacrEL1, CPACR.FPEN)
        cpu.write(vcpu.regs.vbarEL1, VCPU.hostStubVectors)
    }
}
