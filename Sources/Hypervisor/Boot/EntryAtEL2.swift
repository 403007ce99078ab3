import AArch64
import EL2

/// Entry at EL2 (`Configuration.entryEL == 2`): the guest starts at EL2 and owns
/// it, as under `qemu-system-aarch64 -M virt,virtualization=on`. el2emu's
/// hypervisor is absent: no world switch, no stage 2, no exits. The VM keeps
/// what is not EL2's: the devices (reached directly, stage 2 off), the
/// scheduler of the PEs, semihosting, and the EL3 firmware (PSCI over SMC).
/// The GIC the guest programs is the physical one: its distributor and
/// redistributor state decide what each PE's CPU interface signals.
extension VirtualMachine {
    /// A PE's first entry (boot, or after CPU_ON): EL2h at the context's PC, x0 as given.
    func enterAtEL2(_ vcpu: VCPU) {
        let index = vcpu.index
        let g = GuestOwnedEL2(offersVHE: configuration.mode == .vhe, mpidr: 0x8000_0000 | UInt64(index))
        g.secureMonitorCall = { [unowned(unsafe) self, unowned(unsafe) vcpu] _ in self.secureMonitorCall(vcpu) }
        g.distributor = { [unowned(unsafe) self] intid in
            (self.gic.canForward(intid, cpu: index), UInt8(truncatingIfNeeded: self.gic.priority(intid, cpu: index)))
        }
        vcpu.cpu.beginGuestAtEL2(g, pc: vcpu.context.pc, x0: vcpu.cpu.savedGPR(0, in: &vcpu.context.x))
        vcpu.discardCounts()
    }

    /// The EL3 firmware's SMC handler: PSCI 1.0 and SMCCC_VERSION (x0 function id, result in x0).
    func secureMonitorCall(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        let id = UInt32(truncatingIfNeeded: cpu.readGPR(0))
        let x1 = cpu.readGPR(1), x2 = cpu.readGPR(2), x3 = cpu.readGPR(3)
        if id & 0xFFFF_0000 == 0xC600_0000, let hook = testHypercall {
            cpu.writeGPR(0, hook(UInt64(id), x1, x2, x3))
            return
        }
        guard let fn = PSCIFunction(rawValue: id) else {
            if events.isActive { events.emit(.psci(vcpu: vcpu.index, time: cpu.clock.cycles, call: "SMC 0x\(String(id, radix: 16)): NOT_SUPPORTED")) }
            cpu.writeGPR(0, PSCIReturn.notSupported.register)
            return
        }
        var call = "SMC \(fn)"
        var result: UInt64 = 0
        switch fn {
        case .smcccVersion: result = PSCIAnswer.smcccVersion
        case .version: result = PSCIAnswer.version
        case .features:
            let queried = UInt32(truncatingIfNeeded: x1)
            let supported = PSCIFunction(rawValue: queried) != nil && queried != PSCIFunction.cpuSuspend.rawValue
                && queried != PSCIFunction.cpuSuspend32.rawValue
            result = supported ? 0 : PSCIReturn.notSupported.register
        case .migrateInfoType: result = PSCIAnswer.migrateInfoType
        case .systemOff, .systemReset:
            if events.isActive { events.emit(.psci(vcpu: vcpu.index, time: cpu.clock.cycles, call: call)) }
            cpu.requestStop(.guestExit(status: exitStatusAtPowerOff, how: "PSCI \(fn == .systemOff ? "SYSTEM_OFF" : "SYSTEM_RESET")"))
            return
        case .cpuOn, .cpuOn32:
            // cpuOn traces the call itself; the target starts at EL2 (enterAtEL2 at its first run).
            let r = cpuOn(vcpu, target: x1, entry: x2, contextID: x3)
            cpu.writeGPR(0, r.register)
            return
        case .cpuOff:
            vcpu.powerState = .off
            vcpu.runState = .off
            if events.isActive { events.emit(.psci(vcpu: vcpu.index, time: cpu.clock.cycles, call: "SMC CPU_OFF cpu\(vcpu.index)", power: .off(vcpu: vcpu.index))) }
            cpu.park()
            return
        case .affinityInfo, .affinityInfo32:
            result = affinityInfo(x1, level: x2)
            call += " cpu\(x1 & 0xFF) -> \(Int64(bitPattern: result))"
        case .cpuSuspend, .cpuSuspend32:
            result = PSCIReturn.notSupported.register
        }
        if events.isActive { events.emit(.psci(vcpu: vcpu.index, time: cpu.clock.cycles, call: call)) }
        cpu.writeGPR(0, result)
    }

    /// GICR_ISACTIVER0/ICACTIVER0 writes: the physical redistributor's active
    /// state when the guest owns EL2 (the vGIC's list registers are not written through here).
    func setActive(_ bits: UInt32, _ active: Bool, cpu: Int) {
        guard configuration.entryEL == 2, cpu < vcpus.count else { return }
        for intid in 0..<32 where bits & (1 << UInt32(intid)) != 0 { vcpus[cpu].cpu.setPhysicalActive(intid, active) }
    }

    /// Enables or priorities changed in a redistributor of a guest that owns EL2.
    func physicalGICChanged(cpu: Int) {
        guard configuration.entryEL == 2, cpu < vcpus.count else { return }
        vcpus[cpu].cpu.physicalGICChanged()
    }
}
