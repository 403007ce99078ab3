import AArch64
import Unicorn

/// The guest's physical address space as Unicorn sees it. With HCR_EL2.VM
/// clear, guest physical = host physical; the stage-2 issue replaces this
/// with the walker.
extension Processor {
    func translationControlChanged(_ reg: SystemRegister, old: UInt64) {
        if reg == .HCR_EL2 { updateVirtualInterruptLines() }
    }

    /// An access Unicorn found no mapping (or permission) for.
    func stage2Abort(_ access: MemoryAccess, address: UInt64, size: Int, value: Int64) -> Bool {
        let what: String
        switch access {
        case .read: what = "read of"
        case .write: what = "write to"
        case .fetch: what = "instruction fetch from"
        }
        requestStop(.error("guest \(what) unmapped address 0x\(String(address, radix: 16)) (\(size) bytes)"))
        return false
    }

    /// A fault on the guest's own stage-1 translation (Unicorn gives no syndrome).
    func stage1Fault(isInstruction: Bool, pc: UInt64) {
        requestStop(.error("guest stage-1 \(isInstruction ? "instruction" : "data") abort at pc 0x\(String(pc, radix: 16))"))
    }
}
