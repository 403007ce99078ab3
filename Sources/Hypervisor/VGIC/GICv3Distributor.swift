/// The GICv3 distributor (GICD_*, 64 KiB at 0x0800_0000 on QEMU virt),
/// emulated for the guest (KVM's vgic-mmio-v3.c): enough for a guest's GIC
/// initialisation: CTLR, TYPER, IIDR, the enable, priority, group and
/// routing registers of the SPIs, their pending state (devices' lines), and the ID registers.
final class GICv3Distributor: Device {
    let name = "gicd"
    let base: UInt64 = 0x0800_0000
    let size: UInt64 = 0x1_0000
    unowned(unsafe) let vm: VirtualMachine

    init(vm: VirtualMachine) {
        self.vm = vm
        routers = Array(repeating: 0, count: vm.gic.spis)
    }

    func read(offset: UInt64, size: Int) -> UInt64 {
        let gic = vm.gic
        switch offset {
        case 0x0000: return UInt64(gic.distributorControl)
        // TYPER: ITLinesNumber[4:0] = SPIs/32 (INTIDs up to 32*(N+1)-1), LPIS[17] (the ITS), IDbits[23:19] = 15 (16 bits).
        case 0x0004: return UInt64(gic.spis / 32) | 1 << 17 | 15 << 19
        case 0x0008: return 0x0300_043B   // IIDR: Arm, GICv3 product
        case 0x0080..<0x0100: return 0xFFFF_FFFF   // IGROUPR: all group 1
        case 0x0100..<0x0180, 0x0180..<0x0200:
            // ISENABLER/ICENABLER n: word 0 are the (banked) SGIs/PPIs, RAZ here with ARE.
            let word = Int((offset & 0x7F) >> 2)
            guard word >= 1 else { return 0 }
            var v: UInt64 = 0
            for bit in 0..<32 where spiIndex(word * 32 + bit).map({ gic.spiEnabled[$0] }) == true { v |= 1 << UInt64(bit) }
            return v
        case 0x0200..<0x0280, 0x0280..<0x0300:
            // ISPENDR/ICPENDR n: the SPIs whose device line is high (DeviceInterrupts.swift).
            let word = Int((offset & 0x7F) >> 2)
            guard word >= 1 else { return 0 }
            var v: UInt64 = 0
            for bit in 0..<32 where vm.deviceLinePending(word * 32 + bit) { v |= 1 << UInt64(bit) }
            return v
        case 0x0400..<0x0800:
            var v: UInt64 = 0
            for i in 0..<min(size, 4) {
                if let n = spiIndex(Int(offset - 0x400) + i) { v |= UInt64(gic.spiPriority[n]) << UInt64(8 * i) }
            }
            return v
        case 0x6100..<0x6100 + 8 * UInt64(gic.spis):
            // IROUTER n (64-bit, or two words): Aff2.Aff1.Aff0 as written, IRM and Aff3 RAZ (as KVM keeps them).
            let router = routers[Int(offset - 0x6100) / 8]
            return offset & 4 == 0 ? router & (size == 8 ? .max : 0xFFFF_FFFF) : 0
        case 0xFFE8: return 0x3B          // PIDR2: ArchRev 3
        default: return 0
        }
    }

    /// GICD_IROUTER of each SPI, bits [23:0] (Aff2.Aff1.Aff0): 0, vCPU 0, at reset.
    private var routers: [UInt64] = []

    func write(offset: UInt64, size: Int, value: UInt64) {
        switch offset {
        case 0x0000:
            vm.gic.distributorControl = UInt32(truncatingIfNeeded: value) & 0x3 | 0x10
            for cpu in 0..<vm.vcpus.count { vm.enabledChanged(cpu: cpu) }
        case 0x0100..<0x0180, 0x0180..<0x0200:
            let enable = offset < 0x180
            let word = Int((offset & 0x7F) >> 2)
            guard word >= 1 else { return }
            for bit in 0..<32 where value & (1 << UInt64(bit)) != 0 {
                if let n = spiIndex(word * 32 + bit) { vm.gic.spiEnabled[n] = enable }
            }
            // An SPI enabled while its line is high (or already queued) reaches its vCPU.
            if enable, let source = vm.running {
                vm.deviceLinesChanged(by: source)
                vm.spiEnablesChanged()
            }
        case 0x0400..<0x0800:
            for i in 0..<min(size, 4) {
                if let n = spiIndex(Int(offset - 0x400) + i) { vm.gic.spiPriority[n] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
            }
        case 0x6100..<0x6100 + 8 * UInt64(vm.gic.spis):
            guard offset & 4 == 0 else { return }   // the upper word: IRM and Aff3, RAZ/WI
            let n = Int(offset - 0x6100) / 8
            routers[n] = value & 0xFF_FFFF
            // vCPU n has MPIDR Aff0 = n and its other affinity levels 0.
            let aff0 = Int(value & 0xFF)
            vm.routeSPI(n, to: value & 0xFF_FF00 == 0 && aff0 < vm.vcpus.count ? aff0 : nil)
        default: break
        }
    }

    /// The SPI index of INTID `intid`, if it is an SPI this distributor has.
    func spiIndex(_ intid: Int) -> Int? {
        let n = intid - 32
        return n >= 0 && n < vm.gic.spis ? n : nil
    }

    /// KVM's vGIC: emulated in the host kernel ("I/O Kernel").
    func servedInKernel(offset: UInt64) -> Bool { true }
}
