import AArch64
import EL2

/// Semihosting (HLT #0xF000), served as QEMU's `-semihosting` does: the
/// debugger's channel, not an exit. Guest pointers are checked and bounded.
extension VirtualMachine {
    static let maxSemihostString = 1 << 16

    func semihosting(_ cpu: Processor) {
        let op = UInt32(truncatingIfNeeded: cpu.readGPR(0))
        let arg = cpu.readGPR(1)
        switch SemihostingOperation(rawValue: op) {
        case .writeC:
            if let b = cpu.readGuest(virtual: arg, count: 1) { emit(bytes: b) } else { semihostingFault(cpu, "SYS_WRITEC", arg) }
        case .write0:
            var bytes: [UInt8] = []
            var address = arg
            // Read in chunks that stay within a page, so an unmapped next page is not needed.
            while bytes.count < VirtualMachine.maxSemihostString {
                let chunk = Int(4096 - (address & 4095))
                guard let part = cpu.readGuest(virtual: address, count: chunk) else {
                    semihostingFault(cpu, "SYS_WRITE0", address)
                    break
                }
                if let nul = part.firstIndex(of: 0) {
                    bytes += part[..<nul]
                    break
                }
                bytes += part
                address &+= UInt64(chunk)
            }
            emit(bytes: bytes)
        case .exit, .exitExtended:
            var status: Int32 = 1
            if let block = cpu.readGuest(virtual: arg, count: 16) {
                let reason = block[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let code = block[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                // A 64-bit code that is no Int32 (2^32 would truncate to 0, a pass) is reported as Int32.max.
                status = reason == SemihostingOperation.applicationExit ? Int32(exactly: Int64(bitPattern: code)) ?? .max : 1
            } else if arg == SemihostingOperation.applicationExit {
                status = 0   // the AArch32 convention: the reason itself in the register
            }
            cpu.requestStop(.guestExit(status: status, how: "semihosting SYS_EXIT"))
        case .none:
            cpu.writeGPR(0, UInt64(bitPattern: -1))
            events.note("semihosting: unsupported operation 0x\(String(op, radix: 16))")
        }
    }

    private func semihostingFault(_ cpu: Processor, _ call: String, _ address: UInt64) {
        cpu.writeGPR(0, UInt64(bitPattern: -1))
        events.note("semihosting \(call): guest pointer 0x\(String(address, radix: 16)) is not readable")
    }
}
