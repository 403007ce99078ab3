import AArch64
import EL2

/// Level-sensitive SPIs driven by emulated devices (the PL031's match
/// interrupt), as KVM's vGIC takes a device's line: the line's level is the
/// SPI's pending state. An SPI goes to the vCPU GICD_IROUTER (GICv3) or
/// GICD_ITARGETSR (GICv2) routes it to, vCPU 0 at reset. A line that rises
/// queues its SPI there; every flush of that vCPU samples its lines again: one that dropped takes back its interrupt if the guest has
/// not acknowledged it, and one still high once the guest has deactivated it
/// is queued again (its list register asks for an EOI maintenance interrupt,
/// LR.EOI, so that deactivation exits). Lines are sampled at accesses and
/// exits, not at the instant a device's state changes with time (an RTC match),
/// except that a vCPU blocked in WFI is woken when a line will rise.
/// A guest entered at EL2 owns the physical GIC: the lines reach their SPI's
/// target PE as physical SPIs (`setPhysicalSPI`), sampled after each device
/// or GIC access, with the time a line will rise by itself.
extension VirtualMachine {
    /// The vCPU SPI `intid` is routed to, if any.
    func spiTarget(_ intid: Int) -> VCPU? {
        let n = intid - 32
        guard n >= 0, n < gic.spis, let i = gic.spiRoute[n], i < vcpus.count else { return nil }
        return vcpus[i]
    }

    /// GICD_IROUTER/ITARGETSR sends SPI index `n` to vCPU `index` (nil: none).
    /// A device's line queued at the old target moves to the new one, as KVM's
    /// vgic_prune_ap_list moves an interrupt whose target changed.
    func routeSPI(_ n: Int, to index: Int?) {
        guard gic.spiRoute[n] != index else { return }
        let intid = 32 + n
        let old = spiTarget(intid)
        gic.spiRoute[n] = index
        guard isDeviceLine(intid) else { return }
        old?.dequeue { $0.intid == intid }
        if configuration.entryEL == 2 { drivePhysicalSPIs(); return }
        deviceLinesArmed = true   // the new target's flush samples it
        if let source = running {
            deviceLinesChanged(by: source)
            source.cpu.yieldPE()   // the new target's wake-up, for the scheduler
        }
        spiEnablesChanged()
    }

    /// An SPI's enable or route changed: each vCPU an SPI goes to may now take one.
    func spiEnablesChanged() {
        for i in Set(gic.spiRoute.compactMap { $0 }).sorted() { enabledChanged(cpu: i) }
    }

    /// After a guest wrote a device's (or the distributor's) registers: a line
    /// that is high and not yet queued reaches its vCPU.
    func deviceLinesChanged(by source: VCPU) {
        // A guest that owns EL2 has no vGIC of el2emu's: the line goes to the physical GIC.
        guard configuration.entryEL == 1 else { drivePhysicalSPIs(); return }
        for d in devices.interruptSources {
            if d.lineCanRise {
                deviceLinesArmed = true
                // A line that will rise at another vCPU blocked in WFI: the scheduler
                // must see its wake-up before this vCPU runs past it.
                if let intid = d.interruptLine, let target = spiTarget(intid), target !== source, target.runState == .blocked {
                    source.cpu.yieldPE()
                }
            }
            guard let intid = d.interruptLine, d.lineLevel, let target = spiTarget(intid),
                  !target.pendingInterrupts.contains(where: { $0.intid == intid }) else { continue }
            deliver(intid: intid, to: target, from: source, why: "\(d.name) interrupt line")
        }
    }

    /// Entry at EL2: each device line's level, and when it will rise, at the PE
    /// its SPI is routed to (low at the others).
    func drivePhysicalSPIs() {
        for d in devices.interruptSources {
            guard let intid = d.interruptLine else { continue }
            let high = d.lineLevel, target = spiTarget(intid)
            for v in vcpus {
                if v === target { v.cpu.setPhysicalSPI(intid, high: high, rise: high ? nil : d.lineRiseTime) }
                else { v.cpu.setPhysicalSPI(intid, high: false, rise: nil) }
            }
        }
    }

    /// Part of `flush`, on `vcpu`'s saved vGIC state: only while a line is
    /// armed (`deviceLinesArmed`), so an exit of a guest whose devices raise
    /// nothing pays one test.
    @inline(__always)
    func resampleDeviceLines(_ vcpu: VCPU) {
        // Inline: on most exits no device line is armed.
        guard deviceLinesArmed else { return }
        resampleArmedDeviceLines(vcpu)
    }

    @inline(never)
    private func resampleArmedDeviceLines(_ vcpu: VCPU) {
        var armed = false, routedHere = false
        for d in devices.interruptSources {
            guard let intid = d.interruptLine else { continue }
            // Another vCPU's line: left armed for that vCPU's flush.
            guard spiTarget(intid) === vcpu else { armed = true; continue }
            routedHere = true
            let high = d.lineLevel
            armed = armed || high || d.lineCanRise
            var listed = false
            for i in 0..<vcpu.context.vgic.lr.count {
                let lr = vcpu.context.vgic.lr[i]
                guard ListRegister.vINTID(lr) == UInt64(intid), lr & ListRegister.State != 0 else { continue }
                listed = true
                // Pending and not yet acknowledged: withdrawn (an active one waits for the guest's EOI).
                if !high && lr & ListRegister.State == ListRegister.pendingBit { vcpu.emptyListRegister(i) }
            }
            if high {
                if !listed { queue(vcpu, intid: intid) }
            } else if vcpu.pendingInterrupts.contains(where: { $0.intid == intid }) {
                vcpu.dequeue { $0.intid == intid }
            }
            armed = armed || listed
        }
        if routedHere { deviceLinesArmed = armed }
    }

    /// The first time a device line will rise by itself, for a vCPU blocked in
    /// WFI (`wakeUp`): only for the SPI's target, only for an SPI it can take.
    func nextDeviceLineRise(_ vcpu: VCPU) -> (time: UInt64, reason: String)? {
        guard configuration.entryEL == 1 else { return nil }
        var best: (time: UInt64, reason: String)?
        for d in devices.interruptSources {
            // A line already high (it rose while another vCPU ran up to now): at once.
            guard let intid = d.interruptLine, spiTarget(intid) === vcpu, gic.canForward(intid, cpu: vcpu.index),
                  let t = d.lineLevel ? currentCPU.clock.cycles : d.lineRiseTime, best == nil || t < best!.time else { continue }
            best = (t, "\(d.name) interrupt line (SPI \(intid))")
        }
        return best
    }

    /// Does a device drive SPI `intid`?
    func isDeviceLine(_ intid: Int) -> Bool {
        devices.interruptSources.contains { $0.interruptLine == intid }
    }

    /// GICD_ISPENDR/ICPENDR: a device's SPI is pending while its line is high.
    func deviceLinePending(_ intid: Int) -> Bool {
        devices.interruptSources.contains { $0.interruptLine == intid && $0.lineLevel }
    }
}
