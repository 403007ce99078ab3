import AArch64
import EL2

/// The exit handlers by ESR_EL2.EC, like KVM's `arm_exit_handlers`. Each
/// returns what the host does next and names what it did for the trace.
struct ExitHandlers {
    /// kvm_get_exit_handler: a switch on the EC (no hashing on the exit path).
    static func handle(_ vm: VirtualMachine, _ vcpu: VCPU) -> (ExitAction, String) {
        switch vcpu.esr.ec {
        case .hvc64?:
            return vm.handleHypercall(vcpu, conduit: "HVC")
        case .smc64?:
            // A trapped SMC returns to the SMC itself (kvm_handle_smc skips it).
            vcpu.advancePC()
            // SMCs with a non-zero immediate are reserved (SMCCC, DEN0028 "SMC and HVC immediate value").
            if vcpu.esr.imm16 != 0 {
                vcpu.setGPR(0, PSCIReturn.notSupported.register)
                return (.resume, vm.detail("SMC #0x\(String(vcpu.esr.imm16, radix: 16)): reserved immediate, NOT_SUPPORTED"))
            }
            return vm.handleHypercall(vcpu, conduit: "SMC")
        case .sys64?:
            return vm.handleSystemRegister(vcpu)
        case .wfx?:
            return vm.handleWFx(vcpu)
        case .dataAbortLowerEL?, .instructionAbortLowerEL?:
            return vm.handleGuestAbort(vcpu)
        default:
            // Anything the hypervisor does not handle becomes an UNDEF in the guest.
            vcpu.injectUndefined()
            return (.resume, vm.detail("unhandled EC 0x\(String(vcpu.esr.ecRaw, radix: 16)): UNDEF injected"))
        }
    }
}
