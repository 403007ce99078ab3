import AArch64
import Hypervisor
import Unicorn

/// The baselines: the same guest image on bare Unicorn, with no EL2 model.
enum BareUnicorn {
    enum BlockHook { case none, empty, counting }

    /// Runs `image` with x0/x1 set. An HVC is answered by `onHVC` (if given)
    /// and execution goes on after it, as Unicorn does for a hooked
    /// exception; any other exception (the semihosting exit's HLT) ends the run.
    /// `blockHook` `.counting` adds the one thing virtual time needs: the
    /// block gate el2emu uses, which counts each block's instructions (in
    /// Unicorn's generated code with patch 0002, else a C block hook);
    /// `.empty` a C block hook that does nothing (Unicorn's call alone).
    static func run(_ image: GuestImage, x0: UInt64 = 0, x1: UInt64, blockHook: BlockHook = .none,
                    onHVC: ((Engine) -> Void)? = nil) throws {
        let engine = try Engine(model: .a57)
        engine.write(SystemRegisterID(op0: 3, op1: 6, crn: 1, crm: 1, op2: 0), 0x501)
        let ram = UnsafeMutableRawPointer.allocate(byteCount: 128 << 20, alignment: 4096)
        let uart = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { ram.deallocate(); uart.deallocate() }
        try engine.map(address: 0x4000_0000, size: 128 << 20, permissions: .all, pointer: ram)
        // The PL011's page as plain memory: the guest's prints land there.
        try engine.map(address: 0x0900_0000, size: 4096, permissions: .all, pointer: uart)
        for s in image.segments {
            engine.writeMemory(address: s.address, bytes: s.bytes)
        }
        try engine.onInterrupt { [unowned engine] intno in
            if intno == 11, let onHVC { onHVC(engine) } else { engine.stop() }
        }
        var gate: BlockGate?
        if blockHook == .empty { try engine.addEmptyBlockHook() }
        if blockHook == .counting {
            gate = try engine.blockGate { address, _ in gate?.seen(address) }
            gate?.threshold = .max
        }
        defer { gate = nil }   // the gate's closure holds `gate`: break the cycle
        engine.write(.x(0), x0)
        engine.write(.x(1), x1)
        engine.write(.pstate, 0x3C5)
        try engine.start(at: image.entry)
    }
}
