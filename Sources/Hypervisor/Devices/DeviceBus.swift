import EL2

/// An emulated device on the guest's physical address map. Its registers are
/// reached through stage-2 data aborts (GuestAbort.swift): no IPA of a device
/// is mapped at stage 2.
protocol Device: AnyObject {
    var name: String { get }
    var base: UInt64 { get }
    var size: UInt64 { get }
    func read(offset: UInt64, size: Int) -> UInt64
    func write(offset: UInt64, size: Int, value: UInt64)
    /// Is the register at `offset` emulated in the host kernel (true), or by a
    /// user-space device model (false: the exit returns to user space, like
    /// KVM_EXIT_MMIO to QEMU)?
    func servedInKernel(offset: UInt64) -> Bool
    /// The level-sensitive SPI the device drives (its INTID), if any.
    var interruptLine: Int? { get }
    /// That line's level now.
    var lineLevel: Bool { get }
    /// Can the line go high without a register access (a masked line cannot)?
    var lineCanRise: Bool { get }
    /// The virtual time (cycles) at which the line will rise by itself, if it will.
    var lineRiseTime: UInt64? { get }
}

extension Device {
    var interruptLine: Int? { nil }
    var lineLevel: Bool { false }
    var lineCanRise: Bool { false }
    var lineRiseTime: UInt64? { nil }
}

/// The devices of the QEMU virt layout that el2emu emulates.
struct DeviceBus {
    var devices: [Device] = []

    func device(at address: UInt64) -> Device? {
        devices.first { address >= $0.base && address &- $0.base < $0.size }
    }

    /// The devices that drive an SPI (set once the devices are attached: every flush reads it).
    private(set) var interruptSources: [Device] = []

    mutating func attachDefaults(to vm: VirtualMachine) throws {
        devices.append(PL011(base: 0x0900_0000, cycles: { [unowned vm] in vm.currentCPU.clock.cycles }) { [unowned vm] bytes in vm.emit(bytes: bytes) })
        devices.append(PL031(base: 0x0901_0000) { [unowned vm] in vm.currentCPU.clock.cycles })
        devices.append(TestDevice(base: 0x0A00_0000))
        devices += PCIHostBridge().devices
        if vm.configuration.gicVersion == 2 {
            devices.append(GICv2Distributor(vm: vm))
        } else {
            devices.append(GICv3Distributor(vm: vm))
            devices.append(ITS(vm: vm))
            for i in 0..<vm.vcpus.count {
                devices.append(GICv3Redistributor(vm: vm, cpu: i, isLast: i == vm.vcpus.count - 1))
            }
        }
        interruptSources = devices.filter { $0.interruptLine != nil }
        // With stage 2 off (`--hcr -VM`) the guest reaches these PAs directly.
        for vcpu in vm.vcpus {
            let index = vcpu.index
            // A guest owning EL2 with GICv2 reaches its PE's physical CPU interface (GICCFrame.swift).
            if vm.configuration.gicVersion == 2 && vm.configuration.entryEL == 2 {
                let cpu = vcpu.cpu
                try cpu.mapDevice(address: GICv2Distributor.cpuInterfaceBase, size: Processor.giccSize,
                                  read: { [unowned cpu] off, _ in cpu.physicalGICCRead(off) },
                                  write: { [unowned cpu] off, _, v in cpu.physicalGICCWrite(off, v) })
            }
            for d in devices {
                try vcpu.cpu.mapDevice(address: d.base, size: d.size,
                                       read: { [unowned d, unowned vm] off, size in
                                           let v = d.read(offset: off, size: size)
                                           vm.traceMMIO(index, d, offset: off, size: size, isWrite: false, value: v)
                                           // A read may drop a physical SPI (the PL011's FIFO drained).
                                           if d.interruptLine != nil && vm.configuration.entryEL == 2 { vm.drivePhysicalSPIs() }
                                           return v
                                       },
                                       write: { [unowned d, unowned vm] off, size, v in
                                           vm.traceMMIO(index, d, offset: off, size: size, isWrite: true, value: v)
                                           d.write(offset: off, size: size, value: v)
                                           vm.deviceLinesChanged(by: vm.vcpus[index])
                                       })
            }
        }
    }
}

extension VirtualMachine {
    /// The device that decodes `address` and the register offset within it
    /// (statistics name MMIO accesses by device and register).
    public func deviceRegister(at address: UInt64) -> (device: String, offset: UInt64)? {
        devices.device(at: address).map { ($0.name, address &- $0.base) }
    }

    /// An access a device served, for `--trace-events mmio`.
    func traceMMIO(_ vcpu: Int, _ d: Device, offset: UInt64, size: Int, isWrite: Bool, value: UInt64) {
        guard events.isActive else { return }
        events.emit(.mmio(vcpu: vcpu, time: events.time(), address: d.base &+ offset, size: size, isWrite: isWrite, value: value, device: d.name))
    }
}
