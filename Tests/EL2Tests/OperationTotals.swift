import EL2

/// What a PE performed, taken in one go (`takeOperations`; the hypervisor's meter has the PE count into its phase rows instead).
extension Processor {
    func operationTotals() -> [HardwareOperation: Int] {
        var counts: [HardwareOperation: Int] = [:]
        takeOperations { counts[$0, default: 0] += $1 }
        return counts
    }
}
