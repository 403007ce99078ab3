import EL2

/// What a PE performed, taken as the hypervisor's meter takes it.
extension Processor {
    func operationTotals() -> [HardwareOperation: Int] {
        var counts: [HardwareOperation: Int] = [:]
        takeOperations { counts[$0, default: 0] += $1 }
        return counts
    }
}
