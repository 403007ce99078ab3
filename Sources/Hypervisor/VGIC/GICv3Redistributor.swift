/// One vCPU's GICv3 redistributor (GICR_*, 128 KiB per CPU from 0x080A_0000
/// on QEMU virt): the RD_base frame (CTLR, IIDR, TYPER with the vCPU's
/// affinity and the Last bit, WAKER, the LPI registers of LPI.swift) and the SGI_base frame at +64 KiB
/// (IGROUPR0, ISENABLER0/ICENABLER0, ISPENDR0/ICPENDR0, ISACTIVER0,
/// IPRIORITYR0-7, ICFGR0/1) that enable, prioritise and show the state of
/// the vCPU's SGIs and PPIs (KVM's vgic-mmio-v3.c).
final class GICv3Redistributor: Device {
    let name: String
    let base: UInt64
    let size: UInt64 = GICv3Redistributor.frameSize
    let cpu: Int
    let isLast: Bool
    unowned(unsafe) let vm: VirtualMachine

    static let regionBase: UInt64 = 0x080A_0000
    static let frameSize: UInt64 = 0x2_0000
    static let sgiFrame: UInt64 = 0x1_0000

    init(vm: VirtualMachine, cpu: Int, isLast: Bool) {
        self.vm = vm
        self.cpu = cpu
        self.isLast = isLast
        name = "gicr\(cpu)"
        base = GICv3Redistributor.regionBase &+ UInt64(cpu) &* GICv3Redistributor.frameSize
    }

    func read(offset: UInt64, size: Int) -> UInt64 {
        let gic = vm.gic
        switch offset {
        case 0x0000: return vm.redistributorControl(cpu: cpu)
        case 0x0004: return 0x0300_043B                // IIDR
        case 0x0008:
            // TYPER: Affinity[63:32] = Aff0 (the vCPU index), Processor_Number[23:8], Last[4], PLPIS[0].
            let typer = UInt64(cpu) << 32 | UInt64(cpu) << 8 | (isLast ? 1 << 4 : 0) | 1
            return size == 4 ? typer & 0xFFFF_FFFF : typer
        case 0x000C: return UInt64(cpu)                // TYPER's upper word
        case 0x0014:
            // WAKER: ProcessorSleep[1], ChildrenAsleep[2] follows it at once.
            return gic.asleep[cpu] ? 0x6 : 0
        case 0x0070..<0x0080: return vm.readLPIBase(cpu: cpu, offset: offset, size: size)
        case 0xFFE8: return 0x3B                       // PIDR2: ArchRev 3
        case GICv3Redistributor.sgiFrame + 0x0080: return UInt64(gic.privateGroup[cpu])
        case GICv3Redistributor.sgiFrame + 0x0100, GICv3Redistributor.sgiFrame + 0x0180:
            return UInt64(gic.privateEnabled[cpu])
        case GICv3Redistributor.sgiFrame + 0x0200, GICv3Redistributor.sgiFrame + 0x0280:   // ISPENDR0, ICPENDR0
            return UInt64(vm.pendingBits(cpu: cpu))
        case GICv3Redistributor.sgiFrame + 0x0300, GICv3Redistributor.sgiFrame + 0x0380:   // ISACTIVER0, ICACTIVER0
            return UInt64(vm.activeBits(cpu: cpu))
        case GICv3Redistributor.sgiFrame + 0x0400..<GICv3Redistributor.sgiFrame + 0x0420:
            let first = Int(offset - GICv3Redistributor.sgiFrame - 0x400)
            var v: UInt64 = 0
            for i in 0..<min(size, 4) where first + i < 32 { v |= UInt64(gic.privatePriority[cpu][first + i]) << UInt64(8 * i) }
            return v
        case GICv3Redistributor.sgiFrame + 0x0C04: return 0   // ICFGR1: PPIs level-sensitive
        case GICv3Redistributor.sgiFrame + 0x0C00: return 0xAAAA_AAAA   // ICFGR0: SGIs edge
        default: return 0
        }
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        let v32 = UInt32(truncatingIfNeeded: value)
        switch offset {
        case 0x0000: vm.writeRedistributorControl(cpu: cpu, value)
        case 0x0014:
            vm.gic.asleep[cpu] = v32 & 0x2 != 0
        case 0x0070..<0x0080: vm.writeLPIBase(cpu: cpu, offset: offset, size: size, value: value)
        case GICv3Redistributor.sgiFrame + 0x0080:
            vm.gic.privateGroup[cpu] = v32
            vm.enabledChanged(cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0100:
            vm.gic.privateEnabled[cpu] |= v32
            vm.enabledChanged(cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0180:
            vm.gic.privateEnabled[cpu] &= ~v32
            vm.physicalGICChanged(cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0300, GICv3Redistributor.sgiFrame + 0x0380:   // ISACTIVER0, ICACTIVER0
            vm.setActive(v32, offset == GICv3Redistributor.sgiFrame + 0x0300, cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0200: vm.setPending(v32, cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0280: vm.clearPending(v32, cpu: cpu)
        case GICv3Redistributor.sgiFrame + 0x0400..<GICv3Redistributor.sgiFrame + 0x0420:
            let first = Int(offset - GICv3Redistributor.sgiFrame - 0x400)
            for i in 0..<min(size, 4) where first + i < 32 {
                vm.gic.privatePriority[cpu][first + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
            }
            vm.physicalGICChanged(cpu: cpu)
        default: break
        }
    }

    /// KVM's vGIC: emulated in the host kernel ("I/O Kernel").
    func servedInKernel(offset: UInt64) -> Bool { true }
}
