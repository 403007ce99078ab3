import AArch64
import EL2

/// Save and restore of the GICv3 virtual CPU interface (KVM's vgic-v3-sr.c):
/// only the list registers in use are touched.
enum VGICSaveRestore {
    static func save(_ cpu: Processor, into ctx: inout CPUContext) {
        ctx.vgic.vmcr = cpu.read(.ICH_VMCR_EL2)
        guard ctx.vgic.usedLRs > 0 else { return }
        let elrsr = cpu.read(.ICH_ELRSR_EL2)
        for i in 0..<ctx.vgic.usedLRs {
            ctx.vgic.lr[i] = cpu.read(.ICH_LR_EL2(i))
            if elrsr & (1 << UInt64(i)) != 0 { ctx.vgic.lr[i] &= ~(3 << 62) }
            cpu.write(.ICH_LR_EL2(i), 0)
        }
        cpu.count(.memoryAccess, ctx.vgic.usedLRs + 1)
    }

    static func restore(_ cpu: Processor, from ctx: inout CPUContext) {
        cpu.count(.memoryAccess, ctx.vgic.usedLRs + 2)
        cpu.write(.ICH_HCR_EL2, ctx.vgic.hcr)
        cpu.write(.ICH_VMCR_EL2, ctx.vgic.vmcr)
        for i in 0..<ctx.vgic.usedLRs { cpu.write(.ICH_LR_EL2(i), ctx.vgic.lr[i]) }
    }
}
