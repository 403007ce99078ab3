import AArch64
import EL2
import Hypervisor

/// `stats` for a hypervisor of the guest's own (entry at EL2): each exception
/// from its guest (EL1/EL0) to its EL2, at VBAR_EL2 + 0x400-0x780, is an exit
/// of the kind its syndrome names (IRQ for an interrupt), timed from the entry
/// to the ERET that returns to its guest, in the guest's virtual time.
extension StatisticsRecorder {
    func recordGuestEL2(_ event: HypervisorEvent) {
        switch event {
        case .hardware(let vcpu, let time, .guestException(_, let vector, let kind, let esr))
            where kind.hasPrefix("EL2 ") && vector & 0x600 == 0x400:
            let name = kind == "EL2 sync" ? esr?.ec.map { "\($0)" } ?? "EC 0x\(String(esr?.ecRaw ?? 0, radix: 16))" : String(kind.dropFirst(4)).uppercased()
            guestEL2Exits[vcpu] = (name, time)
        case .hardware(let vcpu, let time, .daif(_, _, _, let cause)) where cause.hasPrefix("ERET from EL2 to EL"):
            guard let open = guestEL2Exits.removeValue(forKey: vcpu) else { return }
            vcpus.insert(vcpu)
            for v in [vcpu, nil] { exits[ExitKey(vcpu: v, kind: open.kind), default: ExitCell()].samples.add(time &- open.time) }
        default:
            break
        }
    }
}
