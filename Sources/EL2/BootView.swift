import AArch64
import Unicorn

/// The boot loader's and the debugger's view of the PE: set-up before the
/// first entry and guest memory through the guest's translation. Not the EL2
/// software's operations, so nothing here is counted.
extension Processor {
    public func setBootState(pc: UInt64, pstate: ProcessorState = .el1hMasked, x0: UInt64 = 0, x1: UInt64 = 0, x2: UInt64 = 0, x3: UInt64 = 0) {
        gprsWillChange()
        engine.write(.pc, pc)
        engine.write(.pstate, pstate.raw)
        for (i, v) in [x0, x1, x2, x3].enumerated() { engine.write(.x(i), v) }
    }

    /// Maps host memory into the CPU's view at `address` (guest-physical).
    public func mapDirect(address: UInt64, size: UInt64, permissions: MemoryPermissions = .all, hostPA: UInt64) throws {
        guard let p = memory.pointer(hostPA, count: Int(size)) else {
            throw HostMemory.AllocationError(description: "host PA 0x\(String(hostPA, radix: 16)) is not host memory")
        }
        try engine.map(address: address, size: size, permissions: permissions, pointer: p)
    }

    /// Reads guest memory through the guest's current translation (its VA),
    /// walking both stages in software (a debugger's access: not counted, no TLB fill).
    public func readGuest(virtual address: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= 1 << 20 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var va = address
        while out.count < count {
            let chunk = min(count - out.count, Int(4096 - (va & 0xFFF)))
            guard let p = guestHostPointer(va, .read) else { return nil }
            out.append(contentsOf: UnsafeRawBufferPointer(start: p, count: chunk))
            va &+= UInt64(chunk)
        }
        return out
    }

    @discardableResult
    public func writeGuest(virtual address: UInt64, bytes: [UInt8]) -> Bool {
        var done = 0, va = address
        while done < bytes.count {
            let chunk = min(bytes.count - done, Int(4096 - (va & 0xFFF)))
            guard let p = guestHostPointer(va, .write) else { return false }
            bytes[done..<done + chunk].withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: chunk) }
            done += chunk; va &+= UInt64(chunk)
        }
        return true
    }

    func guestHostPointer(_ va: UInt64, _ access: MemoryAccessKind) -> UnsafeMutableRawPointer? {
        let saved = countingEnabled
        countingEnabled = false
        defer { countingEnabled = saved }
        guard case (.ipa(let ipa), _) = stage1Translate(va, .read, fillTables: false),
              case .mapped(let m) = stage2Translate(ipa, access, counted: false) else { return nil }
        return memory.pointer(m.paBase &+ (ipa &- m.ipaBase), count: Int(4096 - (ipa & 0xFFF)))
    }

    /// The Unicorn library in use, as (major, minor, patch).
    public static var unicornVersion: (major: Int, minor: Int, patch: Int) { Engine.version }

    /// The hypervisor is initialised at EL2 with `hcr` before the first entry.
    public func beginAtEL2(hcr: HCR) {
        currentEL = 2
        el2.hcr = hcr
        pstateAtEntry = engine.read(.pstate)
        naturalPC = engine.read(.pc)
    }

    /// Registers a device as present at host PA `address`: what a guest reaches
    /// there with stage 2 off (HCR_EL2.VM = 0). With stage 2 on, a device is
    /// reached through stage-2 aborts only, never through this.
    public func mapDevice(address: UInt64, size: UInt64,
                          read: @escaping (UInt64, Int) -> UInt64,
                          write: @escaping (UInt64, Int, UInt64) -> Void) throws {
        physicalDevices.append(PhysicalDevice(base: address, size: size, read: read, write: write))
    }
}
