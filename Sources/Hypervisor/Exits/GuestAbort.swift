import AArch64
import CostModel
import EL2

/// What the hypervisor saw and did for one stage-2 abort (for tests and tools).
public struct GuestAbortRecord: Sendable, Equatable {
    public enum Resolution: Sendable, Equatable {
        case mmio(device: String, offset: UInt64, isWrite: Bool, size: Int, value: UInt64)
        /// RAM mapped at stage 2 on first touch (demand paging).
        case mappedOnDemand
        /// The access flag set again (handle_access_fault).
        case accessFlagSet
        /// A protected page's permissions restored.
        case permissionsRestored
        /// An external abort injected into the guest (KVM's kvm_inject_dabt/pabt).
        case externalAbortInjected(reason: String)
    }
    public var pc: UInt64
    public var esr: ExceptionSyndrome
    public var far: UInt64
    public var hpfar: UInt64
    /// The faulting IPA: HPFAR_EL2's page with FAR_EL2's offset.
    public var ipa: UInt64
    public var resolution: Resolution
}

/// Stage-2 aborts from the guest (EC 0x24 DABT_LOW / 0x20 IABT_LOW), like
/// KVM's kvm_handle_guest_abort and io_mem_abort: RAM faults are resolved in
/// the tables, device accesses are emulated from the syndrome, anything else
/// becomes an external abort in the guest.
extension VirtualMachine {
    func handleGuestAbort(_ vcpu: VCPU) -> (ExitAction, String) {
        let esr = vcpu.esr
        // HPFAR_EL2 has the page; FAR_EL2 (a VA) gives the offset within it.
        let ipa = HPFAR.pageIPA(vcpu.hpfar) | (vcpu.far & 0xFFF)
        let isInstruction = esr.ec == .instructionAbortLowerEL
        let status = esr.faultStatus
        var record = GuestAbortRecord(pc: vcpu.context.pc, esr: esr, far: vcpu.far, hpfar: vcpu.hpfar, ipa: ipa,
                                      resolution: .mappedOnDemand)
        defer {
            guestAbortCount += 1
            if guestAborts.count < VirtualMachine.guestAbortRecordLimit { guestAborts.append(record) }
        }
        let page = ipa & ~0xFFF

        if let slot = stage2.memslot(containing: ipa) {
            switch status {
            case .translation?, .accessFlag?:
                // RAM the tables do not map yet: map its page or block (user_mem_abort), retry the access.
                var level = 3
                if case .translation(let l)? = status { level = l }
                let m = stage2.demandMapping(page, in: slot, faultLevel: level)
                do {
                    // The new page or block descriptor, priced as two stores.
                    try vcpu.storeMemory(2) { try stage2.tables.map(ipa: m.ipa, pa: m.pa, size: m.size) }
                } catch {
                    return (.stop(.error("stage-2 fault at IPA 0x\(String(ipa, radix: 16)): \(error)")), "stage-2 map failed")
                }
                if case .accessFlag? = status { record.resolution = .accessFlagSet } else { stage2.demandFaults += 1 }
                let what = m.size == 4096 ? "RAM page mapped" : "RAM 2 MiB block mapped"
                return (.resume, detail("\(esr.ec?.description ?? "abort") IPA 0x\(String(ipa, radix: 16)) \(status!): \(what)"))
            case .permission?:
                if let restore = stage2.protectedPages.removeValue(forKey: page) {
                    try? stage2.tables.setPermissions(page: page, restore)
                    flushStage2(ipa: page)
                    record.resolution = .permissionsRestored
                    return (.resume, "permission fault IPA 0x\(String(ipa, radix: 16)): permissions restored")
                }
            default: break
            }
            return injectExternalAbort(vcpu, &record, why: "unexpected \(status?.description ?? "fault") on RAM")
        }

        guard !isInstruction, let device = devices.device(at: ipa) else {
            let why = esr.s1ptw ? "stage-1 table outside RAM" : isInstruction ? "instruction fetch outside RAM" : "no RAM or device at the IPA"
            return injectExternalAbort(vcpu, &record, why: why)
        }
        // MMIO needs the instruction syndrome; without it (load pair, writeback,
        // SIMD...) KVM cannot emulate the access and injects an external abort.
        guard esr.isv, !esr.s1ptw else {
            return injectExternalAbort(vcpu, &record, why: esr.s1ptw ? "stage-1 table in MMIO" : "MMIO without instruction syndrome (ISV=0)")
        }
        return emulateMMIO(vcpu, device: device, ipa: ipa, record: &record)
    }

    /// io_mem_abort + kvm_handle_mmio_return: performs the access the syndrome
    /// describes on the device, writes a load's value to Rt (XZR discards it),
    /// and skips the instruction.
    func emulateMMIO(_ vcpu: VCPU, device: Device, ipa: UInt64, record: inout GuestAbortRecord) -> (ExitAction, String) {
        let esr = vcpu.esr
        let size = esr.accessSize, rt = esr.srt
        let offset = ipa &- device.base
        let mask: UInt64 = size >= 8 ? .max : (1 << UInt64(size * 8)) - 1
        var value: UInt64
        if esr.wnr {
            value = vcpu.gpr(rt) & mask   // gpr(31) is XZR: zero
            device.write(offset: offset, size: size, value: value)
            deviceLinesChanged(by: vcpu)
        } else {
            value = device.read(offset: offset, size: size) & mask
            if esr.sse && size < 8 {
                let shift = UInt64(64 - size * 8)
                value = UInt64(bitPattern: Int64(bitPattern: value << shift) >> Int64(shift))
            }
            if !esr.sf { value &= 0xFFFF_FFFF }
            vcpu.setGPR(rt, value)
        }
        vcpu.advancePC()
        record.resolution = .mmio(device: device.name, offset: offset, isWrite: esr.wnr, size: size, value: value)
        if events.isActive {
            events.emit(.mmio(vcpu: vcpu.index, time: vcpu.cpu.clock.cycles, address: ipa, size: size, isWrite: esr.wnr,
                              value: value, device: device.name))
        }
        let kernel = device.servedInKernel(offset: offset)
        let text = detail("MMIO \(esr.wnr ? "write" : "read") \(device.name)+0x\(String(offset, radix: 16)) size=\(size)\(kernel ? "" : " (user space)")")
        return (kernel ? .resume : .resumeViaUserspace, text)
    }

    /// KVM's inject_abt64: an external abort at the guest's current EL, FAR_EL1 = the VA.
    func injectExternalAbort(_ vcpu: VCPU, _ record: inout GuestAbortRecord, why: String) -> (ExitAction, String) {
        let fromEL0 = ProcessorState(raw: vcpu.context.pstate).mode == .el0t
        let syndrome: ExceptionSyndrome = vcpu.esr.ec == .instructionAbortLowerEL
            ? .instructionAbort(lowerEL: fromEL0, status: .synchronousExternal)
            : .dataAbort(lowerEL: fromEL0, status: .synchronousExternal, isWrite: false)
        vcpu.injectException(esr: syndrome, far: vcpu.far)
        record.resolution = .externalAbortInjected(reason: why)
        let text = "stage-2 abort at IPA 0x\(String(record.ipa, radix: 16)) (pc 0x\(String(record.pc, radix: 16))): \(why): external abort injected"
        events.note(text)
        return (.resume, text)
    }
}
