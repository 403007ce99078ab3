import AArch64
import EL2

/// The exit handlers by ESR_EL2.EC, like KVM's `arm_exit_handlers`. Each
/// returns what the host does next and names what it did for the trace.
struct ExitHandlers {
    /// kvm_get_exit_handler: a switch on the EC (no hashing on the exit path).
    static func handle(_ vm: VirtualMachine, _ vcpu: VCPU) -> (ExitAction, String) {
        // By the raw class: `ec` builds the optional enum first.
        switch vcpu.esr.ecRaw {
        case ExceptionClass.hvc64.rawValue:
            return vm.handleHypercall(vcpu, conduit: "HVC")
        case ExceptionClass.smc64.rawValue:
            // A trapped SMC returns to the SMC itself (kvm_handle_smc skips it).
            vcpu.advancePC()
            // SMCs with a non-zero immediate are reserved (SMCCC, DEN0028 "SMC and HVC immediate value").
            if vcpu.esr.imm16 != 0 {
                vcpu.setGPR(0, PSCIReturn.notSupported.register)
                return (.resume, vm.detail("SMC #0x\(String(vcpu.esr.imm16, radix: 16)): reserved immediate, NOT_SUPPORTED"))
            }
            return vm.handleHypercall(vcpu, conduit: "SMC")
        case ExceptionClass.sys64.rawValue:
            return vm.handleSystemRegister(vcpu)
        case ExceptionClass.wfx.rawValue:
            return vm.handleWFx(vcpu)
        case ExceptionClass.dataAbortLowerEL.rawValue, ExceptionClass.instructionAbortLowerEL.rawValue:
            return vm.handleGuestAbort(vcpu)
        default:
            // Anything the hypervisor does not handle becomes an UNDEF in the guest.
            vcpu.injectUndefined()
            return (.resume, vm.detail("unhandled EC 0x\(String(vcpu.esr.ecRaw, radix: 16)): UNDEF injected"))
        }
    }
}
