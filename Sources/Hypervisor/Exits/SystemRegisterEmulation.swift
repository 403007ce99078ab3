import AArch64
import CostModel
import EL2

/// Trapped MSR/MRS/SYS accesses (EC 0x18), emulated on the vCPU's copy
/// like KVM's sys_regs.c: TVM/TRVM registers, TID3 ID registers, ACTLR,
/// set/way and TLB maintenance, and SGI generation.
extension VirtualMachine {
    /// The ID register values the guest sees under TID3 (KVM's sanitised
    /// view of a Cortex-A57: EL0/EL1 AArch64 and AArch32, no EL2/EL3, FP/SIMD, GICv3 sysregs).
    static let emulatedIDRegisters: [SystemRegister: UInt64] = [
        .ID_AA64PFR0_EL1: 0x0000_0000_0100_0022,
        .ID_AA64PFR1_EL1: 0,
        .ID_AA64DFR0_EL1: 0x0000_0000_1030_5106,
        .ID_AA64ISAR0_EL1: 0x0000_0000_0001_1120,
        .ID_AA64ISAR1_EL1: 0,
        .ID_AA64MMFR0_EL1: 0x0000_0000_0000_1124,
        .ID_AA64MMFR1_EL1: 0,
        .ID_AA64MMFR2_EL1: 0,
    ]

    func handleSystemRegister(_ vcpu: VCPU) -> (ExitAction, String) {
        let esr = vcpu.esr
        let r = esr.sysRegister, rt = esr.sysRt
        if PerformanceMonitors.isRegister(r) { return handlePerformanceMonitors(vcpu, r, rt: rt, isRead: esr.sysIsRead) }
        let text = detail(r.op0 == 1
            ? "SYS64 SYS \(r), x\(rt)"
            : (esr.sysIsRead ? "SYS64 MRS x\(rt), \(r)" : "SYS64 MSR \(r), x\(rt)"))
        if r.op0 == 1 {
            handleSystemInstruction(vcpu, r, rt)
        } else if esr.sysIsRead {
            guard let v = emulatedRead(vcpu, r) else { vcpu.injectUndefined(); return (.resume, text + ": UNDEF injected") }
            vcpu.setGPR(rt, v)
        } else {
            guard emulatedWrite(vcpu, r, rt == 31 ? 0 : vcpu.gpr(rt)) else { vcpu.injectUndefined(); return (.resume, text + ": UNDEF injected") }
        }
        vcpu.advancePC()
        return (.resume, text)
    }

    func emulatedRead(_ vcpu: VCPU, _ r: SystemRegister) -> UInt64? {
        if r.isVirtualMemoryControl || r == .ACTLR_EL1 { return vcpu.sysreg(r) }
        if r.isTID3Group {
            // MTE as KVM offers it to a VM created with it: FEAT_MTE3 when the hardware has it.
            let mte = r == .ID_AA64PFR1_EL1 && vcpu.cpu.offersMemoryTagging ? MemoryTagging.mte3 << MemoryTagging.idFieldShift : 0
            return (VirtualMachine.emulatedIDRegisters[r] ?? 0) | mte
        }
        switch r {
        case .CTR_EL0: return 0x8444_C004
        case .CLIDR_EL1: return 0x0A20_0023
        case .CCSIDR_EL1: return 0x700F_E01A
        case .CSSELR_EL1: return vcpu.sysreg(r)
        case .REVIDR_EL1: return 0
        default: return nil
        }
    }

    func emulatedWrite(_ vcpu: VCPU, _ r: SystemRegister, _ v: UInt64) -> Bool {
        if r == .CSSELR_EL1 {
            vcpu.setSysreg(r, v)
            return true
        }
        if r.isVirtualMemoryControl {
            tvm.trappedWrites += 1
            let wasEnabled = cachesEnabled(vcpu)
            vcpu.setSysreg(r, v)
            toggleCache(vcpu, wasEnabled: wasEnabled)
            return true
        }
        if r == .ACTLR_EL1 { return true }   // writes ignored, as KVM does
        if r == .ICC_SGI1R_EL1 || r == SystemRegister(3, 0, 12, 11, 6) {
            _ = sendSGI(from: vcpu, value: v)
            return true
        }
        return false
    }

    /// DC set/way (TSW) and TLBI (TTLB): performed on the guest's behalf.
    func handleSystemInstruction(_ vcpu: VCPU, _ r: SystemRegister, _ rt: Int) {
        if r.crn == 8 {
            // Stage-1 maintenance on the guest's behalf: the model's TLB holds stage 2
            // only (stage 1 lives in QEMU's, kept coherent by the guest's own MMU changes).
            vcpu.cpu.tlbi(.vmalle1is)
        } else {
            vcpu.flushGuestCaches()   // set/way: KVM flushes the VM's memory instead
            setWayFlush(vcpu)
        }
    }
}
