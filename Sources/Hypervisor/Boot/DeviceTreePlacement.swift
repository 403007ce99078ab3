extension VirtualMachine {
    /// Places a device tree blob in guest RAM where it cannot overlap the
    /// image, 8-byte aligned and not crossing a 2 MiB boundary (the arm64
    /// boot protocol): after the image, else at the start of RAM. Returns its address, for x0.
    public func placeDeviceTree(_ blob: [UInt8], avoiding image: GuestImage) throws -> UInt64 {
        let size = UInt64(blob.count)
        guard size > 0, size <= 2 << 20 else { throw SetupError(description: "device tree of \(blob.count) bytes is larger than 2 MiB") }
        func overlaps(_ at: UInt64) -> Bool {
            image.segments.contains { s in
                let end = s.address &+ max(s.memorySize, UInt64(s.bytes.count))
                return at < end && s.address < at &+ size
            }
        }
        // After the image first, as QEMU does: kvm-unit-tests insist the tree
        // lies above their stack. The start of RAM only if nothing fits after.
        let after = (image.end &+ 0x1F_FFFF) & ~0x1F_FFFF
        let candidates = [after, configuration.ramBase]
        for at in candidates where !overlaps(at) && ramOffset(at, count: blob.count) != nil {
            try load(blob, at: at)
            return at
        }
        throw SetupError(description: "no room in guest RAM for the device tree next to the image (try a larger --mem)")
    }
}
