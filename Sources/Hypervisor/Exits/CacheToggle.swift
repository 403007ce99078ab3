import AArch64
import CostModel

/// KVM's TVM toggle (arch/arm64/kvm/mmu.c, kvm_toggle_cache and
/// kvm_set_way_flush): a guest with its MMU or caches off sees memory that
/// the host sees through its caches, so KVM traps the VM-control registers
/// (HCR_EL2.TVM) only until the guest turns both SCTLR_EL1.M and C on; then
/// it stops trapping them. A set/way cache operation (trapped by TSW) turns
/// the trap on again, for the next toggle. Each change of the caches'
/// state would clean and invalidate the VM's memory (stage2_flush_vm).
/// `--hcr +TVM` keeps the trap on for the whole run.
public struct TVMLog: Sendable {
    /// VM-control register writes that trapped (HCR_EL2.TVM).
    public var trappedWrites = 0
    /// Each change of the trap: "cpu0 off at cycle 9755".
    public var changes: [String] = []

    /// One line for `--stats`.
    public var summary: String {
        "TVM: \(trappedWrites) trapped VM-register writes" + (changes.isEmpty ? "; never toggled" : "; " + changes.joined(separator: ", "))
    }
}

extension VirtualMachine {
    func cachesEnabled(_ vcpu: VCPU) -> Bool { vcpu.sysreg(.SCTLR_EL1) & (SCTLR.M | SCTLR.C) == SCTLR.M | SCTLR.C }

    /// After a trapped write of a VM-control register (access_vm_reg).
    func toggleCache(_ vcpu: VCPU, wasEnabled: Bool) {
        let now = cachesEnabled(vcpu)
        if now != wasEnabled { vcpu.flushGuestCaches() }   // stage2_flush_vm
        guard now, vcpu.hcr.contains(.TVM), !configuration.hcrSet.contains(.TVM) else { return }
        vcpu.hcr.remove(.TVM)
        tvm.changes.append("cpu\(vcpu.index) off at cycle \(vcpu.cpu.clock.cycles) (kvm_toggle_cache)")
        events.note("kvm_toggle_cache: MMU and caches on: TVM off")
    }

    /// A trapped DC set/way operation (kvm_set_way_flush).
    func setWayFlush(_ vcpu: VCPU) {
        guard !vcpu.hcr.contains(.TVM), !configuration.hcrClear.contains(.TVM) else { return }
        vcpu.hcr.insert(.TVM)
        tvm.changes.append("cpu\(vcpu.index) on at cycle \(vcpu.cpu.clock.cycles) (kvm_set_way_flush)")
        events.note("kvm_set_way_flush: set/way operation: TVM on")
    }
}
