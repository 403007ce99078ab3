import AArch64
import EL2

/// The hypervisor side of the stage-2 test guests (install with
/// `vm.testHypercall = vm.stage2TestService`): function ids 0xC600_00xx.
extension VirtualMachine {
    public enum Stage2TestCall: UInt64 {
        /// x1 IPA, x2 writable, x3 executable.
        case protect = 0xC600_0001
        /// x1 IPA, x2 fill byte of a fresh host page, x3 invalidate (TLBI) or not.
        case remap = 0xC600_0002
        /// x1 IPA: TLBI IPAS2E1IS + VMALLE1IS.
        case flush = 0xC600_0003
        /// x1 IPA: unmap the page at stage 2 (with TLBI).
        case unmap = 0xC600_0004
        /// x1 the VM's new VMID (no TLBI).
        case changeVMID = 0xC600_0005
        /// x1 IPA: clear the page's stage-2 access flag.
        case clearAccessFlag = 0xC600_0006
    }

    /// Returns 0 on success, PSCI NOT_SUPPORTED (-1) for an unknown call, -2 on failure.
    public func stage2TestService(_ function: UInt64, _ x1: UInt64, _ x2: UInt64, _ x3: UInt64) -> UInt64 {
        guard let call = Stage2TestCall(rawValue: function) else { return UInt64(bitPattern: -1) }
        do {
            switch call {
            case .protect: try protectGuestPage(ipa: x1, writable: x2 != 0, executable: x3 != 0)
            case .remap:
                let page = try allocateHostPage(filledWith: UInt8(truncatingIfNeeded: x2))
                try remapGuestPage(ipa: x1, toHostPA: page, invalidate: x3 != 0)
            case .flush: flushStage2(ipa: x1)
            case .unmap: try unmapGuestPage(ipa: x1)
            case .changeVMID: changeVMID(UInt16(truncatingIfNeeded: x1))
            case .clearAccessFlag: try clearAccessFlag(ipa: x1)
            }
            return 0
        } catch {
            events.note("stage-2 test call \(call) failed: \(error)")
            return UInt64(bitPattern: -2)
        }
    }
}
