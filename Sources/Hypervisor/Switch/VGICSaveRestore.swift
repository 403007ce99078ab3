import AArch64
import CostModel
import EL2

/// Save and restore of the GICv3 virtual CPU interface (KVM's vgic-v3-sr.c).
/// Per exit only the list registers in use are touched, and only when some
/// are (`used_lrs`); ICH_VMCR_EL2 goes with vcpu_load/vcpu_put in VHE, and
/// with every exit in split mode, as the KVM/ARM of the published split-mode
/// figures (Linux 4.10) did.
enum VGICSaveRestore {

    /// __vgic_v3_save_state. The test inline: most exits have no list register in use.
    @inline(__always)
    static func save(_ vcpu: VCPU, into ctx: inout CPUContext) {
        guard ctx.vgic.usedLRs > 0 else { return }
        saveLRs(vcpu, into: &ctx)
    }

    @inline(never)
    private static func saveLRs(_ vcpu: VCPU, into ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        let used = ctx.vgic.usedLRs
        let elrsr = cpu.read(vcpu.regs.ichELRSR)
        cpu.write(vcpu.regs.ichHCR, ctx.vgic.hcr & ~ICH_HCR.En)   // the interface is off while the host runs
        // One store per list register in use.
        vcpu.storeMemory(used) {
            for i in 0..<used {
                // An empty LR (ELRSR) need not be read: its saved copy just loses its state.
                if elrsr & (1 << UInt64(i)) != 0 { ctx.vgic.lr[i] &= ~ListRegister.State } else { ctx.vgic.lr[i] = cpu.read(.ICH_LR_EL2(i)) }
                cpu.write(.ICH_LR_EL2(i), 0)
            }
        }
    }

    /// __vgic_v3_restore_state (the test inline, as for the save).
    @inline(__always)
    static func restore(_ vcpu: VCPU, from ctx: inout CPUContext) {
        guard ctx.vgic.usedLRs > 0 else { return }
        restoreLRs(vcpu, from: &ctx)
    }

    @inline(never)
    private static func restoreLRs(_ vcpu: VCPU, from ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        let used = ctx.vgic.usedLRs
        // ICH_HCR_EL2 and each list register in use, loaded from the saved state.
        vcpu.loadMemory(used + 1) {
            cpu.write(vcpu.regs.ichHCR, ctx.vgic.hcr)
            for i in 0..<used { cpu.write(.ICH_LR_EL2(i), ctx.vgic.lr[i]) }
        }
    }

    /// __vgic_v3_save_vmcr_aprs (the guest's priority mask, group enables and binary point).
    static func saveVMCR(_ vcpu: VCPU, into ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        let vmcr = cpu.read(vcpu.regs.ichVMCR)
        vcpu.storeMemory { ctx.vgic.vmcr = vmcr }
    }

    /// __vgic_v3_restore_vmcr_aprs.
    static func restoreVMCR(_ vcpu: VCPU, from ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        cpu.write(vcpu.regs.ichVMCR, vcpu.loadMemory { ctx.vgic.vmcr })
    }
}
