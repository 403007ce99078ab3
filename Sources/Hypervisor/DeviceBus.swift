import EL2

/// An emulated device on the guest's physical address map.
protocol Device: AnyObject {
    var name: String { get }
    var base: UInt64 { get }
    var size: UInt64 { get }
    func read(offset: UInt64, size: Int) -> UInt64
    func write(offset: UInt64, size: Int, value: UInt64)
}

/// The devices of the QEMU virt layout that el2emu emulates.
struct DeviceBus {
    var devices: [Device] = []

    func device(at address: UInt64) -> Device? {
        devices.first { address >= $0.base && address &- $0.base < $0.size }
    }

    mutating func attachDefaults(to vm: VirtualMachine) throws {
        let uart = PL011(base: 0x0900_0000) { [unowned vm] bytes in vm.emit(bytes: bytes) }
        devices.append(uart)
        devices.append(GICv3Distributor(vm: vm))
        for i in 0..<vm.vcpus.count {
            devices.append(GICv3Redistributor(vm: vm, cpu: i, isLast: i == vm.vcpus.count - 1))
        }
        for vcpu in vm.vcpus {
            for d in devices {
                try vcpu.cpu.mapDevice(address: d.base, size: d.size,
                                       read: { [unowned d] off, size in d.read(offset: off, size: size) },
                                       write: { [unowned d] off, size, v in d.write(offset: off, size: size, value: v) })
            }
        }
    }
}
