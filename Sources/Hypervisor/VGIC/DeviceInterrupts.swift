import AArch64
import EL2

/// Level-sensitive SPIs driven by emulated devices (the PL031's match
/// interrupt), as KVM's vGIC takes a device's line: the line's level is the
/// SPI's pending state. SPIs go to vCPU 0 (GICD_IROUTER is not modelled).
/// A line that rises queues its SPI there; every flush of vCPU 0 samples the
/// lines again: one that dropped takes back its interrupt if the guest has
/// not acknowledged it, and one still high once the guest has deactivated it
/// is queued again (its list register asks for an EOI maintenance interrupt,
/// LR.EOI, so that deactivation exits). Lines are sampled at accesses and
/// exits, not at the instant a device's state changes with time (an RTC match),
/// except that a vCPU blocked in WFI is woken when a line will rise.
/// A guest entered at EL2 owns the physical GIC: the lines reach the SPI
/// target's PE as physical SPIs (`setPhysicalSPI`), sampled after each device
/// or GIC access, with the time a line will rise by itself.
extension VirtualMachine {
    /// The vCPU SPIs are routed to.
    var spiTarget: VCPU { vcpus[0] }

    /// After a guest wrote a device's (or the distributor's) registers: a line
    /// that is high and not yet queued reaches its vCPU.
    func deviceLinesChanged(by source: VCPU) {
        // A guest that owns EL2 has no vGIC of el2emu's: the line goes to the physical GIC.
        guard configuration.entryEL == 1 else { drivePhysicalSPIs(); return }
        for d in devices.interruptSources {
            if d.lineCanRise { deviceLinesArmed = true }
            guard let intid = d.interruptLine, d.lineLevel,
                  !spiTarget.pendingInterrupts.contains(where: { $0.intid == intid }) else { continue }
            deliver(intid: intid, to: spiTarget, from: source, why: "\(d.name) interrupt line")
        }
    }

    /// Entry at EL2: each device line's level, and when it will rise, at the PE SPIs are routed to.
    func drivePhysicalSPIs() {
        let pe = spiTarget.cpu
        for d in devices.interruptSources {
            guard let intid = d.interruptLine else { continue }
            let high = d.lineLevel
            pe.setPhysicalSPI(intid, high: high, rise: high ? nil : d.lineRiseTime)
        }
    }

    /// Part of `flush`, on `vcpu`'s saved vGIC state: only while a line is
    /// armed (`deviceLinesArmed`), so an exit of a guest whose devices raise
    /// nothing pays one test.
    func resampleDeviceLines(_ vcpu: VCPU) {
        guard deviceLinesArmed, vcpu === spiTarget else { return }
        var armed = false
        for d in devices.interruptSources {
            guard let intid = d.interruptLine else { continue }
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
        deviceLinesArmed = armed
    }

    /// The first time a device line will rise by itself, for a vCPU blocked in
    /// WFI (`wakeUp`): only for the SPI target, only for an SPI it can take.
    func nextDeviceLineRise(_ vcpu: VCPU) -> (time: UInt64, reason: String)? {
        guard configuration.entryEL == 1, vcpu === spiTarget else { return nil }
        var best: (time: UInt64, reason: String)?
        for d in devices.interruptSources {
            guard let intid = d.interruptLine, gic.canForward(intid, cpu: vcpu.index), let t = d.lineRiseTime,
                  best == nil || t < best!.time else { continue }
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
