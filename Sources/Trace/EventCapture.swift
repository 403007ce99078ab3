import AArch64
import CostModel
import Hypervisor

/// An event as the run hands it to the trace's formatting thread: exits and
/// PSCI calls (nearly all the events of an exit-heavy run) as plain numbers,
/// their strings by number, so that the two threads share no reference
/// counts and a batch holds no references; other events as they are.
enum CapturedEvent {
    case exit(CapturedExit)
    case psci(vcpu: Int, time: UInt64, call: Int32, power: PowerChange?)
    case other(HypervisorEvent)
}

struct CapturedExit {
    var sequence: Int, vcpu: Int, time: UInt64, pc: UInt64
    var esr: UInt64?, ipa: UInt64?, returnPC: UInt64?
    var kind: Int32, detail: Int32
    var phaseCount: Int
    var phases: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// The run's side: numbers the strings of captured events. Strings new in a
/// batch go with it, copied (`fresh`); past `limit` strings (details naming
/// values) events go as they are.
struct EventCapture {
    private var numbers: [String: Int32] = [:]
    /// The last strings numbered: an exit's are mostly the previous exit's.
    private var recent: [(String, Int32)] = []
    var fresh: [String] = []
    static let limit = 4096

    private mutating func number(_ s: String) -> Int32? {
        for (r, n) in recent where r == s { return n }
        let n: Int32
        if let known = numbers[s] {
            n = known
        } else {
            guard numbers.count < EventCapture.limit else { return nil }
            n = Int32(numbers.count)
            numbers[s] = n
            fresh.append(String(decoding: Array(s.utf8), as: UTF8.self))
        }
        if recent.count == 4 { recent.removeFirst() }
        recent.append((s, n))
        return n
    }

    mutating func capture(_ event: HypervisorEvent) -> CapturedEvent {
        switch event {
        case .exit(let r):
            guard r.phaseCycles.count <= 8, let kind = number(r.kind), let detail = number(r.detail) else { return .other(event) }
            var c = CapturedExit(sequence: r.sequence, vcpu: r.vcpu, time: r.time, pc: r.pc, esr: r.esr?.raw, ipa: r.ipa,
                                 returnPC: r.returnPC, kind: kind, detail: detail, phaseCount: r.phaseCycles.count)
            withUnsafeMutableBytes(of: &c.phases) { p in
                for (i, v) in r.phaseCycles.enumerated() { p.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self) }
            }
            return .exit(c)
        case .psci(let v, let t, let call, let power):
            guard let n = number(call) else { return .other(event) }
            return .psci(vcpu: v, time: t, call: n, power: power)
        default:
            return .other(event)
        }
    }
}

/// The formatting thread's side: the events again, from the strings handed over.
struct EventRelease {
    var strings: [String] = []
    /// Traces read no operation counts: one empty table of this thread's own.
    private let noCounts = OperationCounts()

    func event(_ c: CapturedEvent) -> HypervisorEvent {
        switch c {
        case .exit(let x):
            let phases = withUnsafeBytes(of: x.phases) { Array($0.bindMemory(to: UInt64.self).prefix(x.phaseCount)) }
            return .exit(ExitRecord(sequence: x.sequence, vcpu: x.vcpu, time: x.time, pc: x.pc, esr: x.esr.map(ExceptionSyndrome.init(raw:)),
                                    kind: strings[Int(x.kind)], detail: strings[Int(x.detail)], counts: noCounts, phaseCycles: phases,
                                    ipa: x.ipa, returnPC: x.returnPC))
        case .psci(let v, let t, let call, let power):
            return .psci(vcpu: v, time: t, call: strings[Int(call)], power: power)
        case .other(let e):
            return e
        }
    }
}
