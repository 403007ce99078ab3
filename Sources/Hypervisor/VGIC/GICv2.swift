import AArch64
import EL2

/// QEMU virt's GICv2 (`--gic-version 2`) for a guest at EL1, as KVM's
/// vgic-v2: the distributor (GICD_*, 4 KiB of its 64 KiB at 0x0800_0000) is
/// emulated here on the same state as the GICv3's (GICv3.swift), its first
/// words banked per CPU (the vCPU that accesses them); the CPU interface the
/// guest finds at 0x0801_0000 (GICC) is the GICV frame mapped there at
/// stage 2 (EL2/Interrupts/GICVFrame.swift), served from the list registers
/// without an exit. An SGI sent through GICD_SGIR is queued with its source
/// in vINTID[12:10], as KVM fills a v2 guest's list register; each source is
/// its own interrupt. An SPI goes to the lowest CPU its GICD_ITARGETSR names
/// (vCPU 0 if none), as KVM's vgic-v2 routes it. Entered at EL2
/// the guest owns the GIC: GICD_SGIR raises physical SGIs with their source
/// and GICC is the PE's physical CPU interface (EL2/Interrupts/GICCFrame.swift).
final class GICv2Distributor: Device {
    let name = "gicd"
    let base: UInt64 = 0x0800_0000
    let size: UInt64 = 0x1_0000
    static let cpuInterfaceBase: UInt64 = 0x0801_0000
    unowned(unsafe) let vm: VirtualMachine
    /// GICD_ITARGETSR of the SPIs, as written (existing CPUs' bits).
    var targets: [UInt8]

    init(vm: VirtualMachine) {
        self.vm = vm
        targets = Array(repeating: 1, count: vm.gic.spis)
    }

    /// The vCPU whose banked registers an access reaches.
    var cpu: Int { vm.running?.index ?? 0 }

    func read(offset: UInt64, size: Int) -> UInt64 {
        let gic = vm.gic
        let word = Int((offset & 0x7F) >> 2)
        switch offset {
        case 0x0000: return gic.distributorControl & GICState.enableGroup1 != 0 ? 1 : 0
        // TYPER: ITLinesNumber[4:0] = SPIs/32, CPUNumber[7:5] = CPUs - 1.
        case 0x0004: return UInt64(gic.spis / 32) | UInt64(vm.vcpus.count - 1) << 5
        case 0x0008: return 0x0200_043B   // IIDR: Arm, GICv2
        case 0x0100..<0x0180, 0x0180..<0x0200:
            if word == 0 { return UInt64(gic.privateEnabled[cpu]) }
            return bits(word) { gic.isEnabled($0, cpu: 0) }
        case 0x0200..<0x0280, 0x0280..<0x0300:
            if word == 0 { return UInt64(vm.pendingBits(cpu: cpu)) }
            return bits(word) { vm.deviceLinePending($0) }
        case 0x0300..<0x0380, 0x0380..<0x0400:
            return word == 0 ? UInt64(vm.activeBits(cpu: cpu)) : 0
        case 0x0400..<0x0800:
            return bytes(offset - 0x400, size) { UInt64(gic.priority($0, cpu: self.cpu)) }
        case 0x0800..<0x0C00:
            // ITARGETSR: the SGIs' and PPIs' read as the accessing CPU.
            return bytes(offset - 0x800, size) { $0 < 32 ? 1 << UInt64(self.cpu) : UInt64(self.spi($0).map { self.targets[$0] } ?? 0) }
        case 0x0C00: return 0xAAAA_AAAA   // ICFGR0: SGIs edge
        case 0xFE8: return 0x2B           // PIDR2: ArchRev 2
        default: return 0
        }
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        let word = Int((offset & 0x7F) >> 2)
        let v32 = UInt32(truncatingIfNeeded: value)
        switch offset {
        case 0x0000:
            vm.gic.distributorControl = value & 1 != 0 ? 0x12 : 0x10
            for cpu in 0..<vm.vcpus.count { vm.enabledChanged(cpu: cpu) }
        case 0x0100..<0x0180, 0x0180..<0x0200:
            let enable = offset < 0x180
            if word == 0 {
                if enable { vm.gic.privateEnabled[cpu] |= v32 } else { vm.gic.privateEnabled[cpu] &= ~v32 }
            } else {
                for bit in 0..<32 where v32 & (1 << UInt32(bit)) != 0 {
                    if let n = spi(word * 32 + bit) { vm.gic.spiEnabled[n] = enable }
                }
            }
            if enable, let source = vm.running {
                vm.deviceLinesChanged(by: source)
                if word == 0 { vm.enabledChanged(cpu: cpu) } else { vm.spiEnablesChanged() }
            }
        case 0x0200..<0x0280 where word == 0: vm.setPending(v32 & ~0xFFFF, cpu: cpu)   // SGIs: GICD_SPENDSGIR's
        case 0x0280..<0x0300 where word == 0: vm.clearPending(v32 & ~0xFFFF, cpu: cpu)
        case 0x0400..<0x0800:
            for i in 0..<min(size, 4) {
                let intid = Int(offset - 0x400) + i, p = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
                if intid < 32 { vm.gic.privatePriority[cpu][intid] = p } else if let n = spi(intid) { vm.gic.spiPriority[n] = p }
            }
        case 0x0800..<0x0C00:
            for i in 0..<min(size, 4) {
                // Bits of CPUs that do not exist are RAZ/WI.
                let cpus = UInt8(truncatingIfNeeded: (1 << vm.vcpus.count) - 1)
                if let n = spi(Int(offset - 0x800) + i) {
                    targets[n] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) & cpus
                    vm.routeSPI(n, to: targets[n] == 0 ? 0 : targets[n].trailingZeroBitCount)
                }
            }
        case 0x0F00: sendSGI(v32)
        default: break
        }
    }

    /// GICD_SGIR: TargetListFilter[25:24] (0 the list, 1 all but self, 2 self), CPUTargetList[23:16], SGIINTID[3:0].
    func sendSGI(_ v: UInt32) {
        guard let sender = vm.running else { return }
        let intid = Int(v & 0xF)
        let list: UInt32
        switch v >> 24 & 3 {
        case 0: list = v >> 16 & 0xFF
        case 1: list = 0xFF & ~(1 << UInt32(sender.index))
        case 2: list = 1 << UInt32(sender.index)
        default: return
        }
        let now = sender.cpu.clock.cycles
        for t in vm.vcpus where list & (1 << UInt32(t.index)) != 0 && t.powerState == .on {
            if vm.configuration.entryEL == 2 {
                t.cpu.raisePhysicalSGI(intid, at: now, from: sender.index)   // the guest owns the GIC
            } else {
                vm.deliver(intid: intid | sender.index << 10, to: t, from: sender, why: "SGI \(intid) from cpu\(sender.index)")
            }
        }
        if vm.configuration.entryEL == 2 { sender.cpu.yieldPE() }
    }

    func spi(_ intid: Int) -> Int? {
        let n = intid - 32
        return n >= 0 && n < vm.gic.spis ? n : nil
    }

    private func bits(_ word: Int, _ on: (Int) -> Bool) -> UInt64 {
        var v: UInt64 = 0
        for bit in 0..<32 where on(word * 32 + bit) { v |= 1 << UInt64(bit) }
        return v
    }

    private func bytes(_ first: UInt64, _ size: Int, _ byte: (Int) -> UInt64) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<min(size, 4) { v |= (byte(Int(first) + i) & 0xFF) << UInt64(8 * i) }
        return v
    }

    /// KVM's vGIC: emulated in the host kernel.
    func servedInKernel(offset: UInt64) -> Bool { true }
}
