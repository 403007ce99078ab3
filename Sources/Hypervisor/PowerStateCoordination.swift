import AArch64
import EL2

/// PSCI's vCPU power management: CPU_ON, CPU_OFF, AFFINITY_INFO.
extension VirtualMachine {
    func cpuOn(_ caller: VCPU, target: UInt64, entry: UInt64, contextID: UInt64) -> PSCIReturn {
        guard vcpus.count > 1 else { return .notSupported }
        return .notSupported
    }

    func cpuOff(_ vcpu: VCPU) -> (ExitAction, String) {
        vcpu.setGPR(0, PSCIReturn.denied.register)
        return (.resume, "PSCI CPU_OFF: denied")
    }

    func affinityInfo(_ target: UInt64) -> PSCIReturn {
        let index = Int(truncatingIfNeeded: target & 0xFF)
        guard target >> 8 & 0xFFFF == 0, index < vcpus.count else { return .invalidParameters }
        return vcpus[index].powerState == .on ? .success : PSCIReturn(rawValue: 1) ?? .success
    }
}
