extension VirtualMachine {
    /// Copies an image's segments into guest RAM (zero-filling .bss).
    public func load(_ image: GuestImage) throws {
        for s in image.segments {
            try load(s.bytes, at: s.address)
            if s.memorySize > UInt64(s.bytes.count) {
                let zeros = s.memorySize - UInt64(s.bytes.count)
                guard let off = ramOffset(s.address &+ UInt64(s.bytes.count), count: Int(zeros)),
                      let p = memory.pointer(configuration.ramBase &+ off, count: Int(zeros)) else {
                    throw SetupError(description: "segment .bss at 0x\(String(s.address, radix: 16)) is outside guest RAM")
                }
                p.initializeMemory(as: UInt8.self, repeating: 0, count: Int(zeros))
            }
        }
    }
}
