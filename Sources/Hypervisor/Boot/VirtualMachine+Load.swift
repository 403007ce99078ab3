extension VirtualMachine {
    /// Copies an image's segments into guest RAM (zero-filling .bss).
    public func load(_ image: GuestImage) throws {
        for s in image.segments {
            try load(s.bytes, at: s.address)
            if s.memorySize > UInt64(s.bytes.count) {
                let zeros = s.memorySize - UInt64(s.bytes.count)
                let zero = [UInt8](repeating: 0, count: Int(zeros))
                guard ramOffset(s.address &+ UInt64(s.bytes.count), count: Int(zeros)) != nil,
                      zero.withUnsafeBytes({ copyToGuest($0, at: s.address &+ UInt64(s.bytes.count)) }) else {
                    throw SetupError(description: "segment .bss at 0x\(String(s.address, radix: 16)) is outside guest RAM")
                }
            }
        }
    }
}
