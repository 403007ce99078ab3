import EL2

/// Counts what a PE reports, as the hypervisor's meter would.
final class OperationTally: OperationCounter {
    var counts: [HardwareOperation: Int] = [:]
    func performed(_ op: HardwareOperation, _ n: Int) { counts[op, default: 0] += n }
    func total(_ op: HardwareOperation) -> Int { counts[op] ?? 0 }
}
