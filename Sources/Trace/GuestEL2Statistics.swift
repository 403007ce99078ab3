import AArch64
import EL2
import Hypervisor

/// `stats` for a hypervisor of the guest's own (entry at EL2): each exit from
/// its guest (EL1/EL0) to its EL2 is an exit of the reason its syndrome names
/// (IRQ for an interrupt), timed from the exception to the ERET that returns
/// to its guest (`GuestEL2Exit`), in virtual time; its EL2 instructions and the
/// EL1 registers it read and wrote are kept per reason.
extension StatisticsRecorder {
    func recordGuestEL2(_ event: HypervisorEvent) {
        guard case .hardware(let vcpu, _, .guestEL2Return(let x)) = event else { return }
        vcpus.insert(vcpu)
        for v in [vcpu, nil] {
            exits[ExitKey(vcpu: v, kind: x.reason), default: ExitCell()].samples.add(x.cycles)
            guestEL2[ExitKey(vcpu: v, kind: x.reason), default: GuestEL2Cell()].add(x)
        }
    }
}

/// Per exit reason: EL2 instructions, and how often each EL1 register was read and written.
struct GuestEL2Cell {
    var instructions: UInt64 = 0
    var count: UInt64 = 0
    var read: [String: Int] = [:]
    var written: [String: Int] = [:]

    mutating func add(_ x: GuestEL2Exit) {
        instructions &+= x.instructions
        count += 1
        for r in x.read { read[r.description, default: 0] += 1 }
        for r in x.written { written[r.description, default: 0] += 1 }
    }
}
