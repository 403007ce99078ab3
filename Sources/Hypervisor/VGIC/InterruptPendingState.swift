import AArch64
import EL2

/// The pending and active state of a vCPU's SGIs and PPIs as its
/// redistributor shows it (GICR_ISPENDR0/ICPENDR0, GICR_ISACTIVER0; KVM's
/// vgic-mmio.c): an interrupt is pending while it waits in the vCPU's queue
/// or in a list register, and a timer PPI also while the timer asserts its
/// line (a disabled interrupt stays pending in the GIC, it is just not
/// forwarded); it is active while a list register holds it active.
/// The list registers are those saved at the vCPU's last exit.
extension VirtualMachine {
    func pendingBits(cpu: Int) -> UInt32 {
        guard cpu < vcpus.count else { return 0 }
        if configuration.entryEL == 2 { return vcpus[cpu].cpu.physicalPendingBits }
        let v = vcpus[cpu]
        var bits: UInt32 = 0
        for p in v.pendingInterrupts where p.intid < 32 && (!p.hw || timerLine(v, intid: p.intid) != false) {
            bits |= 1 << UInt32(p.intid)
        }
        for lr in v.context.vgic.lr where lr & ListRegister.pendingBit != 0 && ListRegister.vINTID(lr) < 32 { bits |= 1 << UInt32(lr & 31) }
        for intid in [GenericTimer.virtualPPI, GenericTimer.physicalPPI] where timerLine(v, intid: intid) == true {
            bits |= 1 << UInt32(intid)
        }
        return bits
    }

    func activeBits(cpu: Int) -> UInt32 {
        guard cpu < vcpus.count else { return 0 }
        if configuration.entryEL == 2 { return vcpus[cpu].cpu.physicalActiveBits }
        var bits: UInt32 = 0
        for lr in vcpus[cpu].context.vgic.lr where lr & ListRegister.activeBit != 0 && ListRegister.vINTID(lr) < 32 { bits |= 1 << UInt32(lr & 31) }
        return bits
    }

    /// GICR_ISPENDR0: latches each SGI/PPI in `bits` pending.
    func setPending(_ bits: UInt32, cpu: Int) {
        guard cpu < vcpus.count, bits != 0 else { return }
        if configuration.entryEL == 2 { vcpus[cpu].cpu.setPhysicalPending(bits, true); return }
        for intid in 0..<32 where bits & (1 << UInt32(intid)) != 0 { queue(vcpus[cpu], intid: intid) }
        enabledChanged(cpu: cpu)
    }

    /// GICR_ICPENDR0: clears the latched pending state of each SGI/PPI in
    /// `bits`; a timer's line, if still asserted, keeps it pending.
    func clearPending(_ bits: UInt32, cpu: Int) {
        guard cpu < vcpus.count, bits != 0 else { return }
        if configuration.entryEL == 2 { vcpus[cpu].cpu.setPhysicalPending(bits, false); return }
        let v = vcpus[cpu]
        v.dequeue { $0.intid < 32 && !$0.hw && bits & (1 << UInt32($0.intid)) != 0 }
        for i in v.context.vgic.lr.indices {
            let lr = v.context.vgic.lr[i]
            guard lr & ListRegister.pendingBit != 0, lr & ListRegister.HW == 0, ListRegister.vINTID(lr) < 32, bits & (1 << UInt32(lr & 31)) != 0 else { continue }
            v.clearListRegisterPending(i)
        }
    }
}
