import AArch64
import CostModel
import EL2

/// Deterministic scheduling of the vCPUs on virtual time. Each vCPU has its
/// own Processor (PE) over the same guest memory; only one runs at a time.
/// The scheduler always runs the runnable vCPU with the lowest clock for a
/// slice of virtual time, and wakes a sleeping vCPU (blocked by the host in
/// a trapped WFI, or idle in an untrapped one) as soon as its wake-up time
/// is not later than that: its timer deadline or an interrupt sent to it.
/// Ties go to the lowest vCPU index, so the same guest gives the same run.
extension VirtualMachine {
    func schedule() -> StopReason {
        let boot = vcpus[0]
        boot.runState = .runnable
        enterFirstTime(boot)
        while true {
            let on = vcpus.filter { $0.runState != .off }
            guard !on.isEmpty else {
                return .guestExit(status: exitStatusAtPowerOff, how: "every vCPU is off (PSCI CPU_OFF)")
            }
            let runnable = on.filter { $0.runState == .runnable }
                .min { ($0.cpu.clock.cycles, $0.index) < ($1.cpu.clock.cycles, $1.index) }
            var sleeper: (vcpu: VCPU, time: UInt64, reason: String)?
            for v in on where v.runState != .runnable {
                guard let w = wakeUp(v) else { continue }
                if sleeper == nil || (w.time, v.index) < (sleeper!.time, sleeper!.vcpu.index) { sleeper = (v, w.time, w.reason) }
            }
            if let s = sleeper, runnable == nil || s.time <= runnable!.cpu.clock.cycles {
                wake(s.vcpu, at: s.time, reason: s.reason)
                if let r = s.vcpu.cpu.finalStopReason { return r }
                continue
            }
            guard let r = runnable else {
                // Every vCPU that is on sleeps and nothing can ever wake one.
                let v = on[0]
                let pc = v.runState == .blocked ? v.blockedPC : (v.cpu.waitingAt ?? v.context.pc)
                return .deadlock(pc: pc)
            }
            if r.needsFirstEntry { enterFirstTime(r) }
            // Run until just past the next runnable vCPU's clock, or a sleeper's wake-up.
            var until: UInt64 = .max
            if let next = on.filter({ $0.runState == .runnable && $0 !== r }).map({ $0.cpu.clock.cycles }).min() {
                until = max(next, r.cpu.clock.cycles) &+ configuration.quantum
            }
            if let s = sleeper { until = min(until, s.time) }
            running = r
            switch r.cpu.run(until: until) {
            case .stopped(let reason): return reason
            case .reachedTime: break
            case .waitingForInterrupt: r.runState = .waiting
            case .parked: break   // blocked or off: `block`/`cpuOff` set the state
            }
        }
    }

    /// The first entry of a vCPU into the guest (boot, or after PSCI CPU_ON).
    func enterFirstTime(_ vcpu: VCPU) {
        vcpu.needsFirstEntry = false
        running = vcpu
        let cpu = vcpu.cpu
        if cpu.isParked { cpu.unpark() }   // restarted after CPU_OFF
        if configuration.entryEL == 2 { enterAtEL2(vcpu); return }
        cpu.beginAtEL2(hcr: worldSwitch.hostHCR)
        // Each vCPU's MPIDR: Aff0 = its index (KVM's reset_mpidr).
        cpu.write(.VMPIDR_EL2, 0x8000_0000 | UInt64(vcpu.index))
        programStage2(cpu)
        armHostTick(vcpu)
        worldSwitch.firstEntry(vcpu)
        vcpu.discardCounts()
    }

    /// When and why a sleeping vCPU wakes, if anything can wake it.
    func wakeUp(_ v: VCPU) -> (time: UInt64, reason: String)? {
        var best = v.wake
        switch v.runState {
        case .blocked:
            if let t = timerDeadline(v), best == nil || t < best!.time { best = (t, "virtual timer (PPI 27)") }
            // What stays live on the PE while the vCPU is switched out (the EL1 physical timer).
            if let e = v.cpu.nextPhysicalEvent, best == nil || e.time < best!.time { best = (e.time, e.what) }
            for p in v.pendingInterrupts where gic.canForward(p.intid, cpu: v.index) && (best == nil || p.at < best!.time) {
                best = (p.at, "interrupt \(p.intid)")
            }
            if let d = nextDeviceLineRise(v), best == nil || d.time < best!.time { best = d }
        case .waiting:
            if let e = v.cpu.nextPhysicalEvent, best == nil || e.time < best!.time { best = (e.time, e.what) }
        case .runnable, .off:
            return nil
        }
        return best.map { (max($0.time, v.cpu.clock.cycles), $0.reason) }
    }

    /// kvm_vcpu_block, the WFI exit's .block action: unless an interrupt is
    /// already pending, the host stops running the vCPU (it stays at EL2,
    /// switched out) until the scheduler wakes it.
    func block(_ vcpu: VCPU) {
        let cpu = vcpu.cpu
        let pc = vcpu.context.pc &- 4
        let now = cpu.clock.cycles
        if hasPendingListRegister(vcpu) || vcpu.pendingInterrupts.contains(where: { gic.canForward($0.intid, cpu: vcpu.index) && $0.at <= now }) {
            if events.isActive {
                events.emit(.blocked(vcpu: vcpu.index, time: cpu.clock.cycles, pc: pc, cycles: 0, woken: "interrupt already pending"))
            }
            return
        }
        worldSwitch.vcpuPut(vcpu)    // kvm_arch_vcpu_blocking: the timer state goes to memory
        cpu.clearPhysicalSGI(VirtualMachine.kickSGI)   // a kick in flight now only wakes the host
        vcpu.blockedSince = cpu.clock.cycles
        vcpu.blockedPC = pc
        vcpu.runState = .blocked
        cpu.park()
    }

    /// Wakes a sleeping vCPU at virtual time `time`.
    func wake(_ vcpu: VCPU, at time: UInt64, reason: String) {
        running = vcpu
        vcpu.wake = nil
        vcpu.runState = .runnable
        if vcpu.cpu.isParked {
            resumeBlocked(vcpu, at: time, reason: reason)
        } else {
            // Idle in an untrapped WFI: the interrupt reaches its PE.
            vcpu.cpu.wakeFromWFI(at: time, reason: reason)
        }
    }

    /// kvm_vcpu_block returns: virtual time has moved on to the event; a timer
    /// that fired is injected (HW=1, its physical PPI set active as KVM's
    /// kvm_timer_vcpu_load_gic does), queued interrupts are flushed into the
    /// list registers and the vCPU is entered again.
    func resumeBlocked(_ vcpu: VCPU, at time: UInt64, reason: String) {
        let cpu = vcpu.cpu
        cpu.advanceClock(to: time)
        skipBlockedTimeOnPMU(vcpu)
        let blocked = HypervisorEvent.blocked(vcpu: vcpu.index, time: vcpu.blockedSince, pc: vcpu.blockedPC,
                                              cycles: cpu.clock.cycles &- vcpu.blockedSince, woken: reason)
        // The trace shows the blocked time, the WFI exit, then what followed.
        if events.isActive {
            events.emit(blocked)
            events.hold()
        }
        defer { events.release() }
        cpu.unpark()
        vcpu.enter(.handler)
        if let d = timerDeadline(vcpu), d <= cpu.clock.cycles {
            queue(vcpu, intid: GenericTimer.virtualPPI, hw: true)
            cpu.setPhysicalActive(GenericTimer.virtualPPI, true)
        }
        flush(vcpu)
        worldSwitch.vcpuLoad(vcpu)
        worldSwitch.reenter(vcpu)
        let held = events.held ?? []
        events.held = nil
        recordDeferredExit(vcpu)
        for e in held { events.emit(e) }
    }

    /// The blocking exit goes into the ledger once it is complete (entry to re-entry).
    func recordDeferredExit(_ vcpu: VCPU, resumed: Bool = true) {
        guard let e = vcpu.deferredExit else { return }
        vcpu.deferredExit = nil
        recordExit(vcpu, time: e.time, pc: e.pc, esr: vcpu.esr, kind: e.kind, detail: e.detail,
                   returnPC: resumed ? vcpu.context.pc : nil)
    }
}
