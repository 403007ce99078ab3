import AArch64
import EL2

/// Save and restore of the guest's virtual timer (KVM's timer-sr.c and
/// arch_timer.c): CNTV_CTL/CVAL_EL0 and CNTVOFF_EL2.
enum TimerSaveRestore {
    static func save(_ cpu: Processor, into ctx: inout CPUContext) {
        ctx.timer.cntvCtl = cpu.read(.CNTV_CTL_EL0)
        ctx.timer.cntvCval = cpu.read(.CNTV_CVAL_EL0)
        cpu.write(.CNTV_CTL_EL0, 0)   // the host must not take the guest's timer
        cpu.count(.memoryAccess, 2)
        ctx.timer.loaded = false
    }

    static func restore(_ cpu: Processor, from ctx: inout CPUContext) {
        cpu.count(.memoryAccess, 3)
        ctx.timer.loaded = true
        cpu.write(.CNTVOFF_EL2, ctx.timer.cntvoff)
        cpu.write(.CNTV_CVAL_EL0, ctx.timer.cntvCval)
        cpu.write(.CNTV_CTL_EL0, ctx.timer.cntvCtl & 3)
    }
}
