import AArch64
import EL2

/// Stage-2 aborts from the guest (EC 0x24/0x20): MMIO emulation and faults.
extension VirtualMachine {
    /// A guest abort: MMIO emulation lives with stage 2; here, an external abort.
    func handleGuestAbort(_ vcpu: VCPU) -> (ExitAction, String) {
        vcpu.injectException(esr: ExceptionSyndrome(ec: .dataAbortCurrentEL, iss: 0x210), far: vcpu.far)
        return (.resume, "abort at 0x\(String(vcpu.far, radix: 16)): external abort injected")
    }
}
