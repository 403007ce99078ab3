import CostModel
import EL2
import Hypervisor

/// Listens to a run's events as `perf kvm stat record` listens to KVM's
/// tracepoints, and keeps what `stats` reports: per exit kind and per MMIO
/// register, for each vCPU and for all of them, the samples and their times
/// (the exit's modelled cycles). Only totals are kept, not the events.
public final class StatisticsRecorder {
    /// An exit kind (vcpu nil: all vCPUs).
    struct ExitKey: Hashable { var vcpu: Int?; var kind: String }
    /// One register of one device, read or written (vcpu nil: all vCPUs).
    struct MMIOKey: Hashable { var vcpu: Int?; var access: MMIOAccess }

    public struct MMIOAccess: Hashable, Sendable {
        public var device: String
        public var offset: UInt64
        public var address: UInt64
        public var isWrite: Bool

        public init(device: String, offset: UInt64, address: UInt64, isWrite: Bool) {
            self.device = device; self.offset = offset; self.address = address; self.isWrite = isWrite
        }

        /// The register's name in the device's manual, when el2emu knows it.
        public var register: String? { DeviceRegisterNames.name(device: device, offset: offset) }
    }

    struct ExitCell { var samples = SampleStatistics(); var phaseCycles = [UInt64](repeating: 0, count: Phase.allCases.count) }

    var exits: [ExitKey: ExitCell] = [:]
    private(set) var mmio: [MMIOKey: SampleStatistics] = [:]
    /// The vCPUs that took exits or made accesses.
    var vcpus: Set<Int> = []
    /// Exits to the guest's own EL2 (entry at EL2) by reason (GuestEL2Statistics.swift).
    var guestEL2: [ExitKey: GuestEL2Cell] = [:]
    /// Accesses seen but not yet timed, per vCPU: an emulated access is timed
    /// by the DABT_LOW exit that performed it, which is reported just after it.
    private var untimed: [Int: [MMIOAccess]] = [:]
    private let deviceRegister: (UInt64) -> (device: String, offset: UInt64)?

    /// `deviceRegister` finds the device and register offset of an address.
    public init(deviceRegister: @escaping (UInt64) -> (device: String, offset: UInt64)?) {
        self.deviceRegister = deviceRegister
    }

    /// Listens to `vm`'s events from now on.
    @discardableResult
    public static func attached(to vm: VirtualMachine) -> StatisticsRecorder {
        let r = StatisticsRecorder { [weak vm] in vm?.deviceRegister(at: $0) }
        vm.events.observers.append(r.record)
        return r
    }

    public func record(_ event: HypervisorEvent) {
        switch event {
        case .exit(let r):
            vcpus.insert(r.vcpu)
            for v in [r.vcpu, nil] {
                exits[ExitKey(vcpu: v, kind: r.kind), default: ExitCell()].add(r)
            }
            // The access this exit emulated takes its time; any other took no exit.
            var pending = untimed.removeValue(forKey: r.vcpu) ?? []
            if r.kind == "DABT_LOW", let ipa = r.ipa, let i = pending.lastIndex(where: { $0.address == ipa }) {
                add(pending.remove(at: i), vcpu: r.vcpu, cycles: r.cycles)
            }
            for a in pending { add(a, vcpu: r.vcpu, cycles: 0) }
        case .mmio(let vcpu, _, let address, _, let isWrite, _, let device):
            vcpus.insert(vcpu)
            let offset = deviceRegister(address)?.offset ?? 0
            untimed[vcpu, default: []].append(MMIOAccess(device: device, offset: offset, address: address, isWrite: isWrite))
        case .stop:
            finishUntimed()
        case .hardware:
            recordGuestEL2(event)
        default:
            break
        }
    }

    /// Accesses served with no exit (a device reached directly, stage 2 off) count with no time.
    func finishUntimed() {
        for (vcpu, accesses) in untimed.sorted(by: { $0.key < $1.key }) {
            for a in accesses { add(a, vcpu: vcpu, cycles: 0) }
        }
        untimed = [:]
    }

    private func add(_ a: MMIOAccess, vcpu: Int, cycles: UInt64) {
        for v in [vcpu, nil] { mmio[MMIOKey(vcpu: v, access: a), default: SampleStatistics()].add(cycles) }
    }
}

extension StatisticsRecorder.ExitCell {
    mutating func add(_ r: ExitRecord) {
        samples.add(r.cycles)
        for (p, c) in r.phaseCycles.enumerated() where p < phaseCycles.count { phaseCycles[p] &+= c }
    }
}
