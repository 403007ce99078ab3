/// The PL031 real-time clock (Arm DDI 0224) on virtual time: RTCDR counts
/// seconds of the VM's virtual clock from the last RTCLR load (never the
/// host's clock, so runs are reproducible). RTCMR/RIS/IMSC/ICR give the
/// match interrupt's state, which drives SPI 34 (QEMU virt's RTC line,
/// DeviceInterrupts.swift); the PrimeCell ID registers identify it.
final class PL031: Device {
    let name = "pl031"
    let base: UInt64
    let size: UInt64 = 0x1000
    /// The VM's virtual time in CPU cycles, and the cycles per second.
    let cycles: () -> UInt64
    let cyclesPerSecond: UInt64
    var loadValue: UInt32 = 0
    var loadedAtCycle: UInt64 = 0
    var match: UInt32 = 0
    var interruptMask: UInt32 = 0
    var rawInterrupt: UInt32 = 0
    let interruptLine: Int? = 34

    /// Unmasked, the match interrupt rises when RTCDR reaches RTCMR.
    var lineCanRise: Bool { interruptMask != 0 }

    /// When RTCDR reaches RTCMR, if the match interrupt is unmasked and not yet raised.
    var lineRiseTime: UInt64? {
        guard !lineLevel, lineCanRise else { return nil }
        guard match > lastSeen else { return nil }   // lineLevel just looked: reached again only after RTCDR wraps
        let (span, overflow) = UInt64(match &- loadValue).multipliedReportingOverflow(by: cyclesPerSecond)
        let (time, late) = loadedAtCycle.addingReportingOverflow(span)
        return overflow || late ? nil : time
    }

    /// RTCINTR: the masked match interrupt (masked, it needs no look at the
    /// clock; the match is still caught at the next look).
    var lineLevel: Bool {
        guard lineCanRise else { return false }
        updateMatch()
        return rawInterrupt != 0
    }

    init(base: UInt64, cyclesPerSecond: UInt64 = 2_000_000_000, cycles: @escaping () -> UInt64) {
        self.base = base
        self.cycles = cycles
        self.cyclesPerSecond = cyclesPerSecond
    }

    var now: UInt32 {
        let elapsed = (cycles() &- loadedAtCycle) / max(1, cyclesPerSecond)
        return loadValue &+ UInt32(truncatingIfNeeded: elapsed)
    }

    /// QEMU emulates the RTC in user space.
    func servedInKernel(offset: UInt64) -> Bool { false }

    func read(offset: UInt64, size: Int) -> UInt64 {
        switch offset {
        case 0x00: return UInt64(now)                   // RTCDR
        case 0x04: return UInt64(match)                 // RTCMR
        case 0x08: return UInt64(loadValue)             // RTCLR
        case 0x0C: return 1                             // RTCCR: always started
        case 0x10: return UInt64(interruptMask)         // RTCIMSC
        case 0x14: updateMatch(); return UInt64(rawInterrupt)
        case 0x18: updateMatch(); return UInt64(rawInterrupt & interruptMask)
        default: return PrimeCellID(part: 0x031, revision: 1).read(offset) ?? 0   // r1, as QEMU's: PeriphID2 0x14
        }
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        let v = UInt32(truncatingIfNeeded: value)
        switch offset {
        case 0x04: updateMatch(); match = v
        case 0x08: updateMatch(); loadValue = v; loadedAtCycle = cycles(); lastSeen = v
        case 0x10: interruptMask = v & 1
        case 0x1C: rawInterrupt &= ~(v & 1)
        default: break
        }
    }

    /// RTCDR when the match was last looked at.
    var lastSeen: UInt32 = 0

    /// The match interrupt is raised once, as RTCDR reaches RTCMR (it may have
    /// gone past since the last look: virtual time moves in steps); RTCICR
    /// clears it until the counter reaches the match value again.
    private func updateMatch() {
        let n = now
        if lastSeen < match && match <= n { rawInterrupt = 1 }
        lastSeen = n
    }
}
