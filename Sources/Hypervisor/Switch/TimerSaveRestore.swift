import AArch64
import CostModel
import EL2

/// Save and restore of the guest's virtual timer (KVM's timer-sr.c and
/// arch_timer.c): CNTV_CTL/CVAL_EL0 and CNTVOFF_EL2.
enum TimerSaveRestore {
    static func save(_ vcpu: VCPU, into ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        let ctl = cpu.read(vcpu.regs.cntvCtl)
        let cval = cpu.read(vcpu.regs.cntvCval)
        cpu.write(vcpu.regs.cntvCtl, 0)   // the host must not take the guest's timer
        vcpu.storeMemory(2) { ctx.timer.cntvCtl = ctl; ctx.timer.cntvCval = cval }
        ctx.timer.loaded = false
    }

    static func restore(_ vcpu: VCPU, from ctx: inout CPUContext) {
        let cpu = vcpu.cpu
        let t = vcpu.loadMemory(3) { ctx.timer }
        ctx.timer.loaded = true
        cpu.write(vcpu.regs.cntvoff, t.cntvoff)
        cpu.write(vcpu.regs.cntvCval, t.cntvCval)
        cpu.write(vcpu.regs.cntvCtl, t.cntvCtl & 3)
    }
}
