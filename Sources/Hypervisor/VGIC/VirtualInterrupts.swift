import AArch64
import CostModel
import EL2

/// Virtual interrupts (KVM's vgic.c, vgic-v3.c, arch_timer.c): the host's
/// IRQ exit handler, queueing interrupts for a vCPU, flushing them into the
/// list registers before it runs, virtual IPIs, and kicking a vCPU.
extension VirtualMachine {
    /// The physical SGI the host sends a vCPU's PE to make it exit (Linux's IPI_RESCHEDULE).
    static let kickSGI = 0

    /// An IRQ exit: acknowledge the physical interrupt and act on it.
    func handleIRQ(_ vcpu: VCPU) -> (ExitAction, String) {
        let cpu = vcpu.cpu
        let intid = Int(truncatingIfNeeded: cpu.read(.ICC_IAR1_EL1))
        switch intid {
        case GenericTimer.virtualPPI, GenericTimer.physicalPPI:
            // kvm_arch_timer_handler: forward the timer's PPI with HW=1. The host
            // only drops its priority; the physical PPI stays active until the
            // guest deactivates the virtual one, so it cannot exit again meanwhile.
            cpu.write(.ICC_EOIR1_EL1, UInt64(intid))
            queue(vcpu, intid: intid, hw: true)
            return (.resume, intid == GenericTimer.virtualPPI ? "virtual timer: PPI 27 injected" : "physical timer: PPI 30 injected")
        case GenericTimer.hypervisorPPI:
            // The host's own tick: end it and arm the next one.
            cpu.write(.ICC_EOIR1_EL1, UInt64(intid))
            cpu.write(.ICC_DIR_EL1, UInt64(intid))
            armHostTick(vcpu)
            return (.resume, "host timer tick (PPI 26)")
        case 25:
            cpu.write(.ICC_EOIR1_EL1, 25)
            cpu.write(.ICC_DIR_EL1, 25)
            return (.resume, "IRQ: vGIC maintenance")
        case 0..<16:
            // A kick from another PE: the vCPU has new interrupts queued.
            cpu.write(.ICC_EOIR1_EL1, UInt64(intid))
            cpu.write(.ICC_DIR_EL1, UInt64(intid))
            return (.resume, "IRQ: kick (SGI \(intid))")
        default:
            return (.resume, "IRQ: spurious")
        }
    }

    /// Arms the host's tick on the EL2 physical timer for the next period boundary after now.
    func armHostTick(_ vcpu: VCPU) {
        let hz = configuration.hostTickHz
        guard hz > 0 else { return }
        let period = max(1, vcpu.cpu.clock.counterHz / hz)
        let now = vcpu.cpu.clock.counter
        vcpu.cpu.write(.CNTHP_CVAL_EL2, (now / period &+ 1) &* period)
        vcpu.cpu.write(.CNTHP_CTL_EL2, 1)
    }

    /// Queues virtual interrupt `intid` for `vcpu` (vgic_queue_irq_unlock).
    /// It reaches a list register at the vCPU's next entry (`flush`).
    /// `at`: the virtual time it was sent; the vCPU sees it no earlier.
    func queue(_ vcpu: VCPU, intid: Int, hw: Bool = false, at: UInt64? = nil) {
        guard vcpu.enqueue(intid, hw: hw, at: at ?? vcpu.cpu.clock.cycles) else { return }
        // Traced at the time of whoever made it pending (the running vCPU).
        if events.isActive { events.emit(.hardware(vcpu: vcpu.index, time: currentCPU.clock.cycles, .virtualInterrupt(intid: intid, pending: true))) }
    }

    /// vgic_flush_lr_state: moves the vCPU's queued interrupts that the GIC
    /// lets through (enabled, their group enabled) into free list registers of
    /// its saved vGIC state; a forwarded timer interrupt whose line has dropped
    /// is withdrawn instead (TimerLine.swift). Runs while the vCPU is not loaded.
    /// Inline up to the queue's walk: on most exits nothing is queued.
    @inline(__always)
    func flush(_ vcpu: VCPU) {
        resampleTimerListRegisters(vcpu)
        resampleDeviceLines(vcpu)
        flushPMU(vcpu)
        guard !vcpu.pendingInterrupts.isEmpty else {
            vcpu.finishFlush(underflow: false)
            return
        }
        flushQueue(vcpu)
    }

    @inline(never)
    private func flushQueue(_ vcpu: VCPU) {
        var kept: [VCPU.PendingInterrupt] = []
        let now = vcpu.cpu.clock.cycles
        for p in vcpu.pendingInterrupts {
            if p.hw && timerLine(vcpu, intid: p.intid) == false {
                withdrawTimerInterrupt(vcpu, intid: p.intid)
                continue
            }
            guard gic.canForward(p.intid, cpu: vcpu.index), p.at <= now else { kept.append(p); continue }
            let listed = vcpu.listInterrupt(p.intid, hw: p.hw, priority: gic.priority(p.intid, cpu: vcpu.index),
                                            resampleOnEOI: isDeviceLine(p.intid))
            if !listed { kept.append(p) }
        }
        vcpu.keepQueued(kept)
        // More interrupts than list registers: the rest go in once LRs drain.
        vcpu.finishFlush(underflow: kept.contains { gic.canForward($0.intid, cpu: vcpu.index) && $0.at <= now })
    }

    /// ICC_SGI1R_EL1 (trapped by IMO): a virtual IPI to each target vCPU
    /// (Aff0 = its index, Aff1-3 = 0).
    func sendSGI(from vcpu: VCPU, value: UInt64) -> String {
        let sgi = SGI1R(value)
        let intid = sgi.intid
        var names: [String] = []
        for v in vcpus {
            guard sgi.targets(aff0: UInt64(v.index), isSender: v === vcpu), v.powerState == .on else { continue }
            names.append("cpu\(v.index)")
            deliver(intid: intid, to: v, from: vcpu, why: "SGI \(intid) from cpu\(vcpu.index)")
        }
        return "SGI \(intid) -> " + (names.isEmpty ? "none" : names.joined(separator: ","))
    }

    /// Queues an interrupt for `target` and makes sure it notices: a vCPU
    /// handling this exit flushes it on entry; a blocked one is woken; one
    /// loaded on its own PE is kicked with a physical SGI (kvm_vcpu_kick).
    func deliver(intid: Int, to target: VCPU, from source: VCPU, why: String) {
        let now = source.cpu.clock.cycles
        queue(target, intid: intid, at: now)
        guard target !== source else { return }
        switch target.runState {
        case .off:
            break
        case .blocked:
            if target.wake == nil { target.wake = (now, why) }
        case .runnable, .waiting:
            // The physical IPI: one store (the GICD/ICC_SGI1R write).
            source.storeMemory { target.cpu.raisePhysicalSGI(VirtualMachine.kickSGI, at: now) }
            if target.runState == .waiting && target.wake == nil { target.wake = (now, why) }
        }
        // Let the target run before the sender goes further in virtual time.
        source.cpu.yieldPE()
    }

    /// A vCPU's own redistributor enabled an interrupt it has queued: kick it.
    func enabledChanged(cpu index: Int) {
        guard index < vcpus.count else { return }
        if configuration.entryEL == 2 { vcpus[index].cpu.physicalGICChanged(); return }
        let v = vcpus[index]
        guard v.pendingInterrupts.contains(where: { gic.canForward($0.intid, cpu: index) }) else { return }
        switch v.runState {
        case .runnable, .waiting: v.cpu.raisePhysicalSGI(VirtualMachine.kickSGI, at: currentCPU.clock.cycles)
        case .blocked: if v.wake == nil { v.wake = (currentCPU.clock.cycles, "interrupt enabled") }
        case .off: break
        }
    }

    /// Does the vCPU's saved vGIC state hold a pending interrupt?
    func hasPendingListRegister(_ vcpu: VCPU) -> Bool {
        vcpu.context.vgic.lr.contains(where: { $0 & ListRegister.pendingBit != 0 })
    }

    /// When the vCPU's saved virtual timer asserts its interrupt, in cycles, if armed and unmasked.
    func timerDeadline(_ vcpu: VCPU) -> UInt64? {
        let t = vcpu.context.timer
        guard t.cntvCtl & 3 == 1, !vcpu.cpu.isPhysicalActive(GenericTimer.virtualPPI) else { return nil }
        let physical = t.cntvCval &+ t.cntvoff
        if physical < t.cntvCval && t.cntvoff != 0 { return nil }   // beyond the counter's range
        return vcpu.cpu.clock.ticksToCycles(physical)
    }
}
