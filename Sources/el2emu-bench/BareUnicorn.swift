import AArch64
import Hypervisor
import Unicorn

/// The baseline: the same guest image on bare Unicorn, with no EL2 model,
/// no hooks but the one that ends the run at the guest's semihosting exit.
enum BareUnicorn {
    static func run(_ image: GuestImage, x1: UInt64) throws {
        let engine = try Engine(model: .a57)
        engine.write(SystemRegisterID(op0: 3, op1: 6, crn: 1, crm: 1, op2: 0), 0x501)
        let ram = UnsafeMutableRawPointer.allocate(byteCount: 128 << 20, alignment: 4096)
        defer { ram.deallocate() }
        try engine.map(address: 0x4000_0000, size: 128 << 20, permissions: .all, pointer: ram)
        for s in image.segments {
            engine.writeMemory(address: s.address, bytes: s.bytes)
        }
        try engine.onInterrupt { [unowned engine] _ in engine.stop() }
        engine.write(.x(1), x1)
        engine.write(.pstate, 0x3C5)
        try engine.start(at: image.entry)
    }
}
