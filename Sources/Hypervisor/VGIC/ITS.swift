import AArch64
import EL2

/// The GICv3 Interrupt Translation Service (GITS_*, 128 KiB at 0x0808_0000
/// on QEMU virt), emulated in the hypervisor as KVM's vgic-its.c does: the
/// guest gives it a command queue (CBASER/CWRITER/CREADR) and the memory of
/// its device and collection tables (BASER0, BASER1); the commands map a
/// device's events to LPIs (MAPD, MAPTI/MAPI) in collections that target a
/// redistributor (MAPC), and an event (INT, or a write of its EventID to
/// GITS_TRANSLATER) makes its LPI pending there. The mappings are kept here
/// (KVM's device, ITE and collection lists), not in the guest's tables.
/// Physical LPIs only (no GICv4 vLPIs); PTA = 0: a collection targets a
/// redistributor by vCPU number.
final class ITS: Device {
    let name = "gits"
    let base: UInt64 = 0x0808_0000
    let size: UInt64 = 0x2_0000
    unowned(unsafe) let vm: VirtualMachine

    struct Event { var lpi: Int; var collection: UInt16? }
    struct MappedDevice { var ittAddress: UInt64; var eventIDBits: Int; var events: [UInt32: Event] = [:] }

    var enabled = false
    var cbaser: UInt64 = 0
    var creadr: UInt64 = 0
    var cwriter: UInt64 = 0
    /// GITS_BASER0 (device table) and GITS_BASER1 (collection table).
    var baser: [UInt64]
    var devices: [UInt32: MappedDevice] = [:]
    /// Collection ID -> the vCPU its redistributor belongs to (nil: allocated by MAPTI, not mapped).
    var collections: [UInt16: Int?] = [:]

    static let translater: UInt64 = 0x1_0040
    static let deviceIDBits = 16, eventIDBits = 16, entrySize = 8
    static let typeDevice: UInt64 = 1, typeCollection: UInt64 = 4
    static let valid: UInt64 = 1 << 63, indirect: UInt64 = 1 << 62

    init(vm: VirtualMachine) {
        self.vm = vm
        // INITIAL_BASER_VALUE: inner write-back, inner shareable, 64 KiB pages; 8-byte entries; the type.
        let initial: UInt64 = 7 << 59 | 1 << 10 | 2 << 8 | UInt64(ITS.entrySize - 1) << 48
        baser = [initial | ITS.typeDevice << 56, initial | ITS.typeCollection << 56]
    }

    func read(offset: UInt64, size: Int) -> UInt64 {
        switch offset {
        case 0x0000: return (creadr == cwriter ? 1 << 31 : 0) | (enabled ? 1 : 0)   // CTLR: Quiescent, Enabled
        case 0x0004: return 0x4B00_043B   // IIDR: KVM's product ID, Arm, ABI revision 0
        case 0x0008..<0x0010:
            // TYPER: Physical[0], ITT_entry_size[7:4], ID_bits[12:8], Devbits[17:13]
            let typer = 1 | UInt64(ITS.entrySize - 1) << 4 | UInt64(ITS.eventIDBits - 1) << 8 | UInt64(ITS.deviceIDBits - 1) << 13
            return extractBytes(typer, offset: offset, size: size)
        case 0x0080..<0x0088: return extractBytes(cbaser, offset: offset, size: size)
        case 0x0088..<0x0090: return extractBytes(cwriter, offset: offset, size: size)
        case 0x0090..<0x0098: return extractBytes(creadr, offset: offset, size: size)
        case 0x0100..<0x0140:
            let n = Int((offset - 0x100) / 8)
            return n < baser.count ? extractBytes(baser[n], offset: offset, size: size) : 0
        // PIDR4, PIDR0-2, CIDR0-3 (vgic_mmio_read_its_idregs)
        case 0xFFD0: return 0x40
        case 0xFFE0: return 0x92
        case 0xFFE4: return 0xB4
        case 0xFFE8: return 0x3B
        case 0xFFF0: return 0x0D
        case 0xFFF4: return 0xF0
        case 0xFFF8: return 0x05
        case 0xFFFC: return 0xB1
        default: return 0
        }
    }

    func write(offset: UInt64, size: Int, value: UInt64) {
        switch offset {
        case 0x0000:
            // Enabling with an invalid command queue or table is UNPREDICTABLE: KVM ignores it.
            let enable = value & 1 != 0
            if enable && !enabled && (baser[0] & ITS.valid == 0 || baser[1] & ITS.valid == 0 || cbaser & ITS.valid == 0) { return }
            enabled = enable
            processCommands()
        case 0x0080..<0x0088:
            guard !enabled else { return }   // read-only while enabled
            // 64 KiB aligned (bits [15:12] cleared); the queue restarts empty.
            let r = updateBytes(cbaser, offset: offset, size: size, value: value) & ~0xF000
            cbaser = sanitiseTableAttributes(r, shareability: 10, inner: 59, outer: 53)
            creadr = 0
            cwriter = 0
        case 0x0088..<0x0090:
            let r = updateBytes(cwriter, offset: offset, size: size, value: value) & 0xF_FFE0
            guard r < queueSize else { return }
            cwriter = r
            processCommands()
        case 0x0100..<0x0110:
            guard !enabled else { return }
            let n = Int((offset - 0x100) / 8)
            // Type and entry size are read-only; a collection table is flat; 64 KiB pages only.
            var r = updateBytes(baser[n], offset: offset, size: size, value: value) & ~(0x1F << 48 | 7 << 56)
            if n == 1 { r &= ~ITS.indirect }
            r |= UInt64(ITS.entrySize - 1) << 48 | (n == 0 ? ITS.typeDevice : ITS.typeCollection) << 56
            r = sanitiseTableAttributes(r, shareability: 10, inner: 59, outer: 53) & ~(3 << 8) | 2 << 8
            baser[n] = r
            // A table made invalid forgets what it held.
            if r & ITS.valid == 0 {
                if n == 0 { for id in devices.keys.sorted() { unmapDevice(id) } } else { for id in collections.keys.sorted() { unmapCollection(id) } }
            }
        case ITS.translater..<ITS.translater + 4:
            // A write by a CPU: DeviceID 0 (the requester ID QEMU gives a CPU's access).
            trigger(device: 0, event: UInt32(truncatingIfNeeded: value))
        default: break
        }
    }

    /// KVM's vGIC: emulated in the host kernel ("I/O Kernel").
    func servedInKernel(offset: UInt64) -> Bool { true }

    /// ITS_CMD_BUFFER_SIZE: CBASER.Size[7:0] + 1 pages of 4 KiB.
    var queueSize: UInt64 { ((cbaser & 0xFF) + 1) << 12 }

    /// vgic_its_process_commands: runs the commands from CREADR to CWRITER
    /// (only while enabled). A command outside guest RAM is skipped.
    func processCommands() {
        guard enabled else { return }
        let queue = cbaser & 0x000F_FFFF_FFFF_0000
        while cwriter != creadr {
            if let bytes = vm.readGuestRAM(queue &+ creadr, count: 32) {
                let words = (0..<4).map { w in (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[w * 8 + $1]) << UInt64($1 * 8) } }
                handle(words)
            }
            creadr += 32
            if creadr >= queueSize { creadr = 0 }
        }
    }

    /// vgic_its_check_id: is `id` inside the table of BASER `n`, whose entry
    /// (for an indirect device table: whose level-1 entry) is in guest RAM?
    func tableHolds(_ n: Int, id: UInt32) -> Bool {
        let b = baser[n]
        guard Int(id) < 1 << (n == 0 ? ITS.deviceIDBits : 16) else { return false }
        let tableSize = ((b & 0xFF) + 1) * 0x1_0000
        let address = b & 0x0000_FFFF_FFFF_0000   // 64 KiB pages: PA[47:16] (no 52-bit PAs)
        let entry = UInt64(ITS.entrySize)
        guard b & ITS.indirect != 0 else {
            return UInt64(id) < tableSize / entry && vm.readGuestRAM(address &+ UInt64(id) * entry, count: 1) != nil
        }
        let index = UInt64(id) / (0x1_0000 / entry)
        guard index < tableSize / 8, let l1 = vm.readGuestRAM(address &+ index * 8, count: 8) else { return false }
        let pointer = l1.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
        guard pointer & ITS.valid != 0 else { return false }
        let level2 = pointer & 0x000F_FFFF_FFFF_0000
        return vm.readGuestRAM(level2 &+ UInt64(id) % (0x1_0000 / entry) * entry, count: 1) != nil
    }

    /// vgic_its_resolve_lpi + vgic_its_trigger_msi: if the ITS is enabled,
    /// the event is mapped to a mapped collection and that collection's
    /// redistributor has LPIs enabled, the event's LPI becomes pending at the
    /// redistributor the LPI targets (the collection's, unless MOVALL moved
    /// the LPI away). Otherwise the event is dropped.
    func trigger(device: UInt32, event: UInt32) {
        guard enabled, let e = devices[device]?.events[event], let target = mappedTarget(e.collection),
              target < vm.vcpus.count, vm.gic.lpi.enabled[target] else { return }
        vm.setLPIPending(e.lpi, target: vm.gic.lpi.lpis[e.lpi]?.target ?? target)
    }

    /// vgic_its_free_device: the device and its events' mappings go.
    func unmapDevice(_ id: UInt32) {
        guard let d = devices.removeValue(forKey: id) else { return }
        for event in d.events.keys.sorted() { vm.releaseLPI(d.events[event]!.lpi) }
    }

    /// vgic_its_free_collection: events mapped to it no longer have a collection.
    func unmapCollection(_ id: UInt16) {
        guard collections.removeValue(forKey: id) != nil else { return }
        for d in devices.keys {
            for (event, e) in devices[d]!.events where e.collection == id { devices[d]!.events[event]!.collection = nil }
        }
    }
}
