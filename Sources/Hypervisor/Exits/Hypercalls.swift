import AArch64
import EL2

/// HVC/SMC calls: PSCI 1.0 and SMCCC_VERSION (KVM's hypercalls.c, psci.c).
extension VirtualMachine {
    func handleHypercall(_ vcpu: VCPU, conduit: String) -> (ExitAction, String) {
        let id = UInt32(truncatingIfNeeded: vcpu.gpr(0))
        if id & 0xFFFF_0000 == 0xC600_0000, let hook = testHypercall {
            vcpu.setGPR(0, hook(UInt64(id), vcpu.gpr(1), vcpu.gpr(2), vcpu.gpr(3)))
            return (.resume, detail("\(conduit) test call 0x\(String(id, radix: 16))"))
        }
        guard let fn = PSCIFunction(rawValue: id) else {
            vcpu.setGPR(0, PSCIReturn.notSupported.register)
            return (.resume, detail("\(conduit) 0x\(String(id, radix: 16)): NOT_SUPPORTED"))
        }
        let name = events.isActive ? callName(fn, hvc: conduit == "HVC") : ""
        if events.isActive { events.emitPSCI(vcpu: vcpu.index, time: vcpu.cpu.clock.cycles, call: name) }
        switch fn {
        case .smcccVersion:
            vcpu.setGPR(0, PSCIAnswer.smcccVersion)
        case .version:
            vcpu.setGPR(0, PSCIAnswer.version)
        case .features:
            let queried = UInt32(truncatingIfNeeded: vcpu.gpr(1))
            let supported = PSCIFunction(rawValue: queried) != nil && queried != PSCIFunction.cpuSuspend.rawValue
                && queried != PSCIFunction.cpuSuspend32.rawValue
            vcpu.setGPR(0, supported ? 0 : PSCIReturn.notSupported.register)
        case .migrateInfoType:
            vcpu.setGPR(0, PSCIAnswer.migrateInfoType)
        case .systemOff:
            return (.stop(.guestExit(status: exitStatusAtPowerOff, how: "PSCI SYSTEM_OFF")), name)
        case .systemReset:
            return (.stop(.guestExit(status: exitStatusAtPowerOff, how: "PSCI SYSTEM_RESET")), name)
        case .cpuOn, .cpuOn32:
            let r = cpuOn(vcpu, target: vcpu.gpr(1), entry: vcpu.gpr(2), contextID: vcpu.gpr(3))
            vcpu.setGPR(0, r.register)
            return (.resume, detail("\(name) -> \(r)"))
        case .cpuOff:
            return cpuOff(vcpu)
        case .affinityInfo, .affinityInfo32:
            let r = affinityInfo(vcpu.gpr(1), level: vcpu.gpr(2))
            vcpu.setGPR(0, r)
            return (.resume, detail("\(name) cpu\(vcpu.gpr(1) & 0xFF) -> \(Int64(bitPattern: r))"))
        case .cpuSuspend, .cpuSuspend32:
            vcpu.setGPR(0, PSCIReturn.notSupported.register)
        }
        return (.resume, name)
    }
}

/// "HVC PSCI_VERSION", "SMC CPU_ON"...: made once, not on every traced call,
/// found by the function's place among all (no hashing per call).
private let callFunctions = PSCIFunction.allCases
private let hvcCallNames = callFunctions.map { "HVC \($0)" }
private let smcCallNames = callFunctions.map { "SMC \($0)" }

private func callName(_ fn: PSCIFunction, hvc: Bool) -> String {
    guard let i = callFunctions.firstIndex(of: fn) else { return "" }
    return hvc ? hvcCallNames[i] : smcCallNames[i]
}
