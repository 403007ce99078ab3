import AArch64
import EL2

/// The exit handlers, a table indexed by ESR_EL2.EC like KVM's
/// `arm_exit_handlers`. Each returns what the host does next and names
/// what it did for the ledger.
struct ExitHandlers {
    typealias Handler = (VirtualMachine, VCPU) -> (ExitAction, String)

    static let table: [ExceptionClass: Handler] = [
        .hvc64: { vm, vcpu in vm.handleHypercall(vcpu, conduit: "HVC") },
        .smc64: { vm, vcpu in
            // A trapped SMC returns to the SMC itself (kvm_handle_smc skips it).
            vcpu.advancePC()
            // SMCs with a non-zero immediate are reserved (SMCCC, DEN0028 "SMC and HVC immediate value").
            if vcpu.esr.imm16 != 0 {
                vcpu.setGPR(0, PSCIReturn.notSupported.register)
                return (.resume, "SMC #0x\(String(vcpu.esr.imm16, radix: 16)): reserved immediate, NOT_SUPPORTED")
            }
            return vm.handleHypercall(vcpu, conduit: "SMC")
        },
        .sys64: { vm, vcpu in vm.handleSystemRegister(vcpu) },
        .wfx: { vm, vcpu in vm.handleWFx(vcpu) },
        .dataAbortLowerEL: { vm, vcpu in vm.handleGuestAbort(vcpu) },
        .instructionAbortLowerEL: { vm, vcpu in vm.handleGuestAbort(vcpu) },
    ]

    static func handle(_ vm: VirtualMachine, _ vcpu: VCPU) -> (ExitAction, String) {
        if let ec = vcpu.esr.ec, let h = table[ec] { return h(vm, vcpu) }
        // Anything the hypervisor does not handle becomes an UNDEF in the guest.
        vcpu.injectUndefined()
        return (.resume, "unhandled EC 0x\(String(vcpu.esr.ecRaw, radix: 16)): UNDEF injected")
    }
}
