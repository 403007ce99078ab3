import AArch64

/// One exit to the guest's own EL2 (`--entry-el 2`, non-VHE) as its
/// hypervisor handled it: the exception (ESR/ELR/FAR/HPFAR_EL2), the virtual
/// time and the instructions its EL2 code took until the ERET back to its
/// guest, and the guest's EL1 registers it read and wrote through the *_EL1
/// encodings meanwhile (its world switch, its emulation of a trapped access),
/// each once, in the order first touched. What `stats` and the Perfetto
/// timeline show of its exits.
public struct GuestEL2Exit: Equatable, Sendable {
    /// "EL2 sync", "EL2 irq".
    public var kind: String
    public var esr: ExceptionSyndrome?
    public var elr: UInt64
    public var far: UInt64?
    public var hpfar: UInt64?
    /// Virtual time (cycles) of the exception; `cycles` from it to the ERET.
    public var entryTime: UInt64
    public var cycles: UInt64 = 0
    /// Instructions retired from the vector to the ERET (whole blocks, as the clock counts them).
    public var instructions: UInt64 = 0
    public var read: [SystemRegister] = []
    public var written: [SystemRegister] = []
    var entryInstructions: UInt64

    /// perf kvm stat's exit reason: the EC's short name (Linux esr.h), IRQ for an interrupt.
    public var reason: String {
        guard kind == "EL2 sync" else { return String(kind.dropFirst(4)).uppercased() }
        guard let esr else { return "SYNC" }
        return esr.ec.map { "\($0)" } ?? "EC 0x\(String(esr.ecRaw, radix: 16))"
    }
}

extension Processor {
    /// The exception to the guest's EL2 opens an exit span (`takeToGuestEL2`).
    func openGuestEL2Exit(_ g: GuestOwnedEL2, kind: String, esr: ExceptionSyndrome?, elr: UInt64, far: UInt64?, hpfar: UInt64?) {
        g.openExit = GuestEL2Exit(kind: kind, esr: esr, elr: elr, far: far, hpfar: hpfar, entryTime: clock.cycles,
                                  entryInstructions: clock.instructions)
    }

    /// An MRS/MSR by its EL2 code while an exit is open: an EL1 register (op1 = 0, SP_EL1)
    /// is noted; PSTATE fields, ISR_EL1 and the GIC CPU interface are not registers it switches.
    func noteGuestEL2RegisterAccess(_ g: GuestOwnedEL2, _ r: SystemRegister, isRead: Bool) {
        guard g.openExit != nil, r.op0 == 3, r.op1 == 0 || r == .SP_EL1 else { return }
        guard !(r.crn == 4 && r.crm == 2), !(r.crn == 4 && r.crm == 6), !(r.crn == 12 && (r.crm == 1 || r.crm >= 8)) else { return }
        if isRead {
            if !g.openExit!.read.contains(r) { g.openExit!.read.append(r) }
        } else if !g.openExit!.written.contains(r) {
            g.openExit!.written.append(r)
        }
    }

    /// Its ERET back to its guest closes the span: an event with all of it.
    func closeGuestEL2Exit(_ g: GuestOwnedEL2) {
        guard var x = g.openExit else { return }
        g.openExit = nil
        x.cycles = clock.cycles &- x.entryTime
        x.instructions = clock.instructions &- x.entryInstructions
        onEvent?(.guestEL2Return(x))
    }
}
