import AArch64
import CostModel
import Hypervisor

/// A batch of events as the run hands it to the trace's formatting thread:
/// records written one after the other into a buffer made once and reused,
/// each a `CapturedHeader` and, for an exit or a PSCI call, its numbers
/// (`CapturedExit`, `CapturedPSCI`): exits and PSCI calls, nearly all the
/// events of an exit-heavy run, as plain numbers, their strings by number,
/// so that the two threads share no reference counts and a batch is filled
/// and read without touching any; other events by their place in the batch's `others`.
struct CapturedHeader {
    enum What: UInt8 { case exit, psci, other }
    var what: What
    /// `other`: the event's place in the batch's `others`. An exit or PSCI
    /// call with its strings not numbered (past `EventCapture.limit`): their
    /// place in the batch's `texts` (an exit's kind, then its detail). Else -1.
    var index: Int32

    /// The bytes a record of this header takes, header included (a multiple of 8).
    var size: Int {
        switch what {
        case .exit: CapturedHeader.exitSize
        case .psci: CapturedHeader.psciSize
        case .other: 8
        }
    }
    static let exitSize = 8 + MemoryLayout<CapturedExit>.stride, psciSize = 8 + MemoryLayout<CapturedPSCI>.stride
    static let maxSize = max(exitSize, psciSize)
}

/// An exit's numbers, in few bytes (fewer cache lines to hand between the threads).
struct CapturedExit {
    var sequence: Int
    private var vcpuNumber: Int32
    /// The kind's and detail's numbers (`EventCapture`); -1 for an exit written without numbering them.
    var kind: Int32, detail: Int32
    /// Which of the ESR, IPA and return PC the exit has (bits 0, 1, 2), and `phaseCount`.
    private var present: UInt8, phaseCountByte: UInt8
    var time: UInt64, pc: UInt64
    /// 0 where absent (so that equal exits are equal in every byte).
    private var esrValue: UInt64, ipaValue: UInt64, returnPCValue: UInt64
    /// The first `phaseCount` phases' cycles (the ledger has six), 0 past them.
    var phases: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// `ExitRecord.cycles` (summed where needed, not by the run).
    var cycles: UInt64 { phases.0 &+ phases.1 &+ phases.2 &+ phases.3 &+ phases.4 &+ phases.5 &+ phases.6 &+ phases.7 }

    var vcpu: Int { Int(vcpuNumber) }
    var esr: UInt64? { present & 1 != 0 ? esrValue : nil }
    var ipa: UInt64? { present & 2 != 0 ? ipaValue : nil }
    var returnPC: UInt64? { present & 4 != 0 ? returnPCValue : nil }
    var phaseCount: Int { Int(phaseCountByte) }

    /// No exit (`sameLine` as nothing).
    static let none = CapturedExit(sequence: 0, vcpu: -1, time: 0, pc: 0, esr: nil, ipa: nil, returnPC: nil, phases: UnsafeBufferPointer(start: nil, count: 0))

    /// An exit's numbers, `phases` its cycles by phase.
    @inline(__always)
    init(sequence: Int, vcpu: Int, time: UInt64, pc: UInt64, esr: UInt64?, ipa: UInt64?, returnPC: UInt64?,
         kind: Int32 = -1, detail: Int32 = -1, phases p: UnsafeBufferPointer<UInt64>) {
        (self.sequence, vcpuNumber, self.time, self.pc) = (sequence, Int32(truncatingIfNeeded: vcpu), time, pc)
        present = (esr == nil ? 0 : 1) | (ipa == nil ? 0 : 2) | (returnPC == nil ? 0 : 4)
        (esrValue, ipaValue, returnPCValue) = (esr ?? 0, ipa ?? 0, returnPC ?? 0)
        (self.kind, self.detail) = (kind, detail)
        phaseCountByte = UInt8(min(p.count, 8))
        // Element by element, not through the tuple's bytes: the record is then written straight into its batch slot.
        func at(_ i: Int) -> UInt64 { i < p.count ? p[i] : 0 }
        phases = (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
    }

    /// `r`'s numbers (the kind and detail not numbered).
    init(_ r: ExitRecord) {
        self = r.phaseCycles.withUnsafeBufferPointer {
            CapturedExit(sequence: r.sequence, vcpu: r.vcpu, time: r.time, pc: r.pc, esr: r.esr?.raw, ipa: r.ipa, returnPC: r.returnPC, phases: $0)
        }
    }

    /// The cycles of phase `p` (0 past the record's phases).
    @inline(__always)
    func phase(_ p: Int) -> UInt64 {
        guard p < phaseCount else { return 0 }
        return withUnsafeBytes(of: phases) { $0.load(fromByteOffset: p * 8, as: UInt64.self) }
    }

    /// Everything a trace line shows but the time and the sequence number
    /// (numbered strings only): an exit the same as the last in this says the same after those.
    /// (In line: compared where both are, not copied for a call.)
    @inline(__always)
    func sameLine(as o: CapturedExit) -> Bool {
        kind >= 0 && detail >= 0 && vcpuNumber == o.vcpuNumber && pc == o.pc && present == o.present && esrValue == o.esrValue
            && ipaValue == o.ipaValue && returnPCValue == o.returnPCValue
            && kind == o.kind && detail == o.detail && phaseCountByte == o.phaseCountByte
            && phases.0 == o.phases.0 && phases.1 == o.phases.1 && phases.2 == o.phases.2 && phases.3 == o.phases.3
            && phases.4 == o.phases.4 && phases.5 == o.phases.5 && phases.6 == o.phases.6 && phases.7 == o.phases.7
    }
}

struct CapturedPSCI {
    var vcpu: Int, time: UInt64, call: Int32, power: PowerChange?
    static let none = CapturedPSCI(vcpu: -1, time: 0, call: -1, power: nil)

    /// The same line but for the time (the call numbered).
    @inline(__always)
    func sameLine(as o: CapturedPSCI) -> Bool { call >= 0 && call == o.call && vcpu == o.vcpu }
}

/// The run's side: numbers the strings of captured events. Strings new in a
/// batch go with it, copied (`fresh`); past `limit` strings (details naming
/// values) events go with their strings.
struct EventCapture {
    private var numbers: [String: Int32] = [:]
    /// The last string numbered at one place (an exit's kind, its detail, a
    /// PSCI call): mostly the previous event's, often the very same string.
    private struct Last { var string = "", number: Int32 = -1 }
    private var lastKind = Last(), lastDetail = Last(), lastCall = Last()
    /// Exit kinds' numbers by `ExitKind.code` (-1: not yet numbered).
    private var kinds = [Int32](repeating: -1, count: 65)
    var fresh: [String] = []
    static let limit = 4096

    /// `s`'s number, nil past `limit` (`last` checked already).
    private static func number(_ s: String, _ last: inout Last, _ numbers: inout [String: Int32], _ fresh: inout [String]) -> Int32? {
        let n: Int32
        if let known = numbers[s] {
            n = known
        } else {
            guard numbers.count < EventCapture.limit else { return nil }
            n = Int32(numbers.count)
            numbers[s] = n
            fresh.append(String(decoding: Array(s.utf8), as: UTF8.self))
        }
        last = Last(string: s, number: n)
        return n
    }

    // The last string again (mostly the very same string: one comparison of its bits) is checked in line.
    @inline(__always) mutating func number(kind s: String) -> Int32? {
        lastKind.number >= 0 && lastKind.string == s ? lastKind.number : Self.number(s, &lastKind, &numbers, &fresh)
    }
    @inline(__always) mutating func number(detail s: String) -> Int32? {
        lastDetail.number >= 0 && lastDetail.string == s ? lastDetail.number : Self.number(s, &lastDetail, &numbers, &fresh)
    }
    @inline(__always) mutating func number(call s: String) -> Int32? {
        lastCall.number >= 0 && lastCall.string == s ? lastCall.number : Self.number(s, &lastCall, &numbers, &fresh)
    }

    /// An exit kind's number, found by its code.
    @inline(__always)
    mutating func number(kind: ExitKind) -> Int32? {
        let code = kind.code
        if code >= 0 && code < kinds.count && kinds[code] >= 0 { return kinds[code] }
        return numberNew(kind)
    }

    private mutating func numberNew(_ kind: ExitKind) -> Int32? {
        let n = number(kind: kind.name)
        if kind.code >= 0 && kind.code < kinds.count { kinds[kind.code] = n ?? -1 }
        return n
    }
}
