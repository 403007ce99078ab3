import AArch64
import EL2

/// The ITS commands (GICv3 spec 6.3; KVM's vgic_its_handle_command), each 32
/// bytes in the queue. A command that does not apply (an unmapped device or
/// event, an ID out of range) does nothing, as under KVM, which raises no
/// command error. SYNC has nothing to wait for: every command has taken
/// effect when CREADR moves past it.
extension ITS {
    enum Command: UInt64 {
        case movi = 0x01, int = 0x03, clear = 0x04, sync = 0x05, mapd = 0x08, mapc = 0x09, mapti = 0x0A, mapi = 0x0B
        case inv = 0x0C, invall = 0x0D, movall = 0x0E, discard = 0x0F
    }

    func handle(_ cmd: [UInt64]) {
        func field(_ word: Int, _ shift: UInt64, _ bits: UInt64) -> UInt64 { (cmd[word] >> shift) & ((1 << bits) - 1) }
        let deviceID = UInt32(field(0, 32, 32))
        let eventID = UInt32(field(1, 0, 32))
        let collection = UInt16(field(2, 0, 16))
        let target = Int(field(2, 16, 32))   // RDbase: a vCPU number (PTA = 0)
        let valid = field(2, 63, 1) != 0
        guard let command = Command(rawValue: field(0, 0, 8)) else { return }
        switch command {
        case .mapd:
            // MAPD: DeviceID, Size[4:0] (event ID bits - 1), ITT_addr[51:8], V.
            let bits = Int(field(1, 0, 5)) + 1
            guard tableHolds(0, id: deviceID), !valid || bits <= ITS.eventIDBits else { return }
            // Remapping a mapped device invalidates its events: it is unmapped first.
            unmapDevice(deviceID)
            if valid { devices[deviceID] = MappedDevice(ittAddress: field(2, 8, 44) << 8, eventIDBits: bits) }
        case .mapc:
            guard target < vm.vcpus.count else { return }
            if !valid { unmapCollection(collection); return }
            if collections[collection] == nil {
                guard tableHolds(1, id: UInt32(collection)) else { return }
                collections[collection] = .some(target)
            } else {
                collections[collection] = .some(target)
                // update_affinity_collection: its events' LPIs now target the new redistributor.
                forEachEvent { e in if e.collection == collection { vm.retarget(e.lpi, to: target) } }
            }
        case .mapti, .mapi:
            guard var d = devices[deviceID], UInt64(eventID) < 1 << UInt64(d.eventIDBits) else { return }
            let lpi = command == .mapti ? Int(field(1, 32, 32)) : Int(eventID)
            guard lpi >= LPIState.firstINTID, lpi < vm.gic.lpi.limit, d.events[eventID] == nil else { return }
            // An unknown collection is allocated unmapped.
            let created = collections[collection] == nil
            if created {
                guard tableHolds(1, id: UInt32(collection)) else { return }
                collections[collection] = .some(nil)
            }
            guard vm.addLPI(lpi, target: mappedTarget(collection)) else {
                if created { collections[collection] = nil }
                return
            }
            d.events[eventID] = Event(lpi: lpi, collection: collection)
            devices[deviceID] = d
        case .movi:
            guard let e = devices[deviceID]?.events[eventID], mappedTarget(e.collection) != nil,
                  let to = mappedTarget(collection) else { return }
            devices[deviceID]!.events[eventID]!.collection = collection
            vm.retarget(e.lpi, to: to)
        case .discard:
            guard let e = devices[deviceID]?.events[eventID], mappedTarget(e.collection) != nil else { return }
            devices[deviceID]!.events[eventID] = nil
            vm.releaseLPI(e.lpi)
        case .clear:
            guard let e = devices[deviceID]?.events[eventID], let t = vm.gic.lpi.lpis[e.lpi]?.target else { return }
            vm.clearLPIPending(e.lpi, target: t)
        case .inv:
            guard let e = devices[deviceID]?.events[eventID] else { return }
            vm.updateLPIConfig(e.lpi)
        case .invall:
            guard let t = mappedTarget(collection) else { return }
            for intid in vm.gic.lpi.intids(targeting: t) { vm.updateLPIConfig(intid, filter: t) }
        case .movall:
            let to = Int(field(3, 16, 32))
            guard target < vm.vcpus.count, to < vm.vcpus.count, target != to else { return }
            for intid in vm.gic.lpi.intids(targeting: target) { vm.retarget(intid, to: to) }
        case .int:
            trigger(device: deviceID, event: eventID)
        case .sync:
            break
        }
    }

    /// The vCPU a collection targets, if it is mapped.
    func mappedTarget(_ collection: UInt16?) -> Int? { collection.flatMap { collections[$0] ?? nil } }

    /// Every mapped event, devices and events in ID order (for_each_lpi_its).
    func forEachEvent(_ body: (Event) -> Void) {
        for d in devices.keys.sorted() {
            let events = devices[d]!.events
            for e in events.keys.sorted() { body(events[e]!) }
        }
    }
}
