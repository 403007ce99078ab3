import AArch64
import CostModel
import Hypervisor

/// An event as the run hands it to the trace's formatting thread: exits and
/// PSCI calls (nearly all the events of an exit-heavy run) as plain numbers,
/// their strings by number, so that the two threads share no reference
/// counts and a batch is copied and freed without touching any; other
/// events by their place in the batch's `others`.
enum CapturedEvent {
    case exit(CapturedExit)
    case psci(CapturedPSCI)
    case other(Int)
}

struct CapturedExit {
    var sequence: Int, vcpu: Int, time: UInt64, pc: UInt64
    var esr: UInt64?, ipa: UInt64?, returnPC: UInt64?
    /// The kind's and detail's numbers (`EventCapture`); -1 for an exit written without numbering them.
    var kind: Int32, detail: Int32
    var cycles: UInt64
    /// The first `phaseCount` phases' cycles (the ledger has six).
    var phaseCount: Int
    var phases: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// No exit (`sameLine` as nothing).
    static let none = CapturedExit()
    private init() {
        (sequence, vcpu, time, pc, esr, ipa, returnPC, kind, detail, cycles, phaseCount) = (0, -1, 0, 0, nil, nil, nil, -1, -1, 0, 0)
    }

    /// `r`'s numbers.
    init(_ r: ExitRecord, kind: Int32 = -1, detail: Int32 = -1) {
        (sequence, vcpu, time, pc, esr, ipa, returnPC) = (r.sequence, r.vcpu, r.time, r.pc, r.esr?.raw, r.ipa, r.returnPC)
        (self.kind, self.detail) = (kind, detail)
        var cycles: UInt64 = 0, phases = self.phases
        phaseCount = r.phaseCycles.withUnsafeBufferPointer { p in
            withUnsafeMutableBytes(of: &phases) { b in
                for (i, v) in p.enumerated() {
                    if i < 8 { b.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self) }
                    cycles &+= v   // ExitRecord.cycles
                }
            }
            return min(p.count, 8)
        }
        (self.cycles, self.phases) = (cycles, phases)
    }

    /// The cycles of phase `p` (0 past the record's phases).
    @inline(__always)
    func phase(_ p: Int) -> UInt64 {
        guard p < phaseCount else { return 0 }
        return withUnsafeBytes(of: phases) { $0.load(fromByteOffset: p * 8, as: UInt64.self) }
    }

    /// Everything a trace line shows but the time and the sequence number
    /// (numbered strings only): an exit the same as the last in this says the same after those.
    func sameLine(as o: CapturedExit) -> Bool {
        kind >= 0 && detail >= 0 && vcpu == o.vcpu && pc == o.pc && esr == o.esr && ipa == o.ipa && returnPC == o.returnPC
            && kind == o.kind && detail == o.detail && cycles == o.cycles && phaseCount == o.phaseCount
            && phases.0 == o.phases.0 && phases.1 == o.phases.1 && phases.2 == o.phases.2 && phases.3 == o.phases.3
            && phases.4 == o.phases.4 && phases.5 == o.phases.5 && phases.6 == o.phases.6 && phases.7 == o.phases.7
    }
}

struct CapturedPSCI {
    var vcpu: Int, time: UInt64, call: Int32, power: PowerChange?
    static let none = CapturedPSCI(vcpu: -1, time: 0, call: -1, power: nil)

    /// The same line but for the time (the call numbered).
    func sameLine(as o: CapturedPSCI) -> Bool { call >= 0 && call == o.call && vcpu == o.vcpu }
}

/// The run's side: numbers the strings of captured events. Strings new in a
/// batch go with it, copied (`fresh`); past `limit` strings (details naming
/// values) events go as they are.
struct EventCapture {
    private var numbers: [String: Int32] = [:]
    /// The last string numbered at each place (an exit's kind, its detail, a
    /// PSCI call): an exit's are mostly the previous exit's.
    private var last: [(String, Int32)] = Array(repeating: ("", -1), count: 3)
    var fresh: [String] = []
    static let limit = 4096

    /// `s`'s number (`place`: where in the event it is), nil past `limit`.
    @inline(__always)
    mutating func number(_ s: String, at place: Int) -> Int32? {
        if last[place].1 >= 0 && last[place].0 == s { return last[place].1 }
        let n: Int32
        if let known = numbers[s] {
            n = known
        } else {
            guard numbers.count < EventCapture.limit else { return nil }
            n = Int32(numbers.count)
            numbers[s] = n
            fresh.append(String(decoding: Array(s.utf8), as: UTF8.self))
        }
        last[place] = (s, n)
        return n
    }
}
