import AArch64
import EL2

/// An LPI the ITS has mapped (KVM's struct vgic_irq on the lpi_list): its
/// configuration, cached from the property table when it is mapped and at
/// INV/INVALL, the vCPU whose redistributor it targets, and how many ITEs map
/// it. LPIs are edge-triggered Group 1 interrupts with no active state.
struct LPI {
    var enabled = false
    var priority: UInt8 = 0
    var target: Int?
    var references = 1
}

/// The redistributors' LPI support (GICv3 spec 5.1; KVM's vgic-mmio-v3.c):
/// one property table for the VM (KVM keeps a single GICR_PROPBASER), and per
/// redistributor GICR_CTLR.EnableLPIs and the pending table (GICR_PENDBASER).
struct LPIState {
    static let firstINTID = 8192
    /// INTIDs of up to 16 bits (GICD_TYPER.IDbits; KVM's INTERRUPT_ID_BITS_ITS).
    static let idBits = 16
    static let pendingTableZero: UInt64 = 1 << 62   // GICR_PENDBASER.PTZ
    var propbaser: UInt64 = 0
    var pendbaser: [UInt64]
    var enabled: [Bool]
    /// The mapped LPIs by INTID (iterated in INTID order wherever order shows).
    var lpis: [Int: LPI] = [:]

    init(cpus: Int) {
        pendbaser = Array(repeating: 0, count: cpus)
        enabled = Array(repeating: false, count: cpus)
    }

    /// max_lpis_propbaser: the INTIDs the property table covers (IDbits + 1 bits, at most 16).
    var limit: Int { 1 << min(Int(propbaser & 0x1F) + 1, LPIState.idBits) }
    var propertyTable: UInt64 { propbaser & 0x000F_FFFF_FFFF_F000 }
    func pendingTable(_ cpu: Int) -> UInt64 { pendbaser[cpu] & 0x000F_FFFF_FFFF_0000 }

    /// The LPIs targeting `cpu`, in INTID order (vgic_copy_lpi_list).
    func intids(targeting cpu: Int) -> [Int] { lpis.filter { $0.value.target == cpu }.keys.sorted() }
}

/// A 64-bit register as a 32- or 64-bit access at byte `offset & 7` reads it (KVM's extract_bytes).
func extractBytes(_ reg: UInt64, offset: UInt64, size: Int) -> UInt64 {
    let mask: UInt64 = size >= 8 ? .max : (1 << UInt64(size * 8)) &- 1
    return (reg >> ((offset & 7) * 8)) & mask
}

/// The register after such an access writes `value` (KVM's update_64bit_reg).
func updateBytes(_ reg: UInt64, offset: UInt64, size: Int, value: UInt64) -> UInt64 {
    let shift = (offset & 7) * 8
    let mask: UInt64 = (size >= 8 ? .max : (1 << UInt64(size * 8)) &- 1) << shift
    return reg & ~mask | (value << shift) & mask
}

/// KVM's vgic_sanitise_{shareability,inner,outer}_cacheability on a table
/// base register whose fields sit at `shareability`, `inner` and `outer`:
/// outer shareable becomes inner shareable, a non-cacheable inner attribute
/// write-back, and any outer attribute but "same as inner" non-cacheable.
func sanitiseTableAttributes(_ reg: UInt64, shareability: UInt64, inner: UInt64, outer: UInt64) -> UInt64 {
    var r = reg
    if (r >> shareability) & 3 == 2 { r = r & ~(3 << shareability) | 1 << shareability }
    if (r >> inner) & 7 <= 1 { r |= 7 << inner }
    if (r >> outer) & 7 > 1 { r = r & ~(7 << outer) | 1 << outer }
    return r
}

extension VirtualMachine {
    // MARK: The redistributor's registers

    /// GICR_CTLR: EnableLPIs[0].
    func redistributorControl(cpu: Int) -> UInt64 { gic.lpi.enabled[cpu] ? 1 : 0 }

    /// GICR_CTLR written (vgic_mmio_write_v3r_ctlr): enabling LPIs reads the
    /// pending table unless PTZ said it is zero (vgic_enable_lpis); disabling
    /// them drops the LPIs pending here (vgic_flush_pending_lpis).
    func writeRedistributorControl(cpu: Int, _ value: UInt64) {
        let enable = value & 1 != 0
        guard enable != gic.lpi.enabled[cpu] else { return }
        gic.lpi.enabled[cpu] = enable
        if !enable {
            if configuration.entryEL == 2 { vcpus[cpu].cpu.clearPhysicalLPIs(); return }
            vcpus[cpu].dequeue { $0.intid >= LPIState.firstINTID }
        } else if gic.lpi.pendbaser[cpu] & LPIState.pendingTableZero == 0 {
            syncPendingTable(cpu: cpu)
        }
    }

    /// GICR_PROPBASER (0x70) and GICR_PENDBASER (0x78); PTZ reads as 0.
    func readLPIBase(cpu: Int, offset: UInt64, size: Int) -> UInt64 {
        let reg = offset < 0x78 ? gic.lpi.propbaser : gic.lpi.pendbaser[cpu] & ~LPIState.pendingTableZero
        return extractBytes(reg, offset: offset, size: size)
    }

    /// Ignored while the redistributor's LPIs are enabled (KVM: UNPREDICTABLE).
    func writeLPIBase(cpu: Int, offset: UInt64, size: Int, value: UInt64) {
        guard !gic.lpi.enabled[cpu] else { return }
        if offset < 0x78 {
            // RES0: [63:59] [55:52] [6:5]
            let r = updateBytes(gic.lpi.propbaser, offset: offset, size: size, value: value) & ~0xF8F0_0000_0000_0060
            gic.lpi.propbaser = sanitiseTableAttributes(r, shareability: 10, inner: 7, outer: 56)
        } else {
            // RES0: [63] [61:59] [55:52] [15:12] [6:0]
            let r = updateBytes(gic.lpi.pendbaser[cpu], offset: offset, size: size, value: value) & ~0xB8F0_0000_0000_F07F
            gic.lpi.pendbaser[cpu] = sanitiseTableAttributes(r, shareability: 10, inner: 7, outer: 56)
        }
    }

    // MARK: Guest memory the GIC reads

    /// kvm_read_guest: `count` bytes of guest RAM at `ipa`, nil outside it.
    func readGuestRAM(_ ipa: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, let slot = stage2.memslot(containing: ipa), slot.contains(ipa &+ UInt64(count - 1)),
              let p = memory.pointer(slot.hostPA &+ (ipa &- slot.ipa), count: count) else { return nil }
        return (running ?? vcpus[0]).loadMemory { Array(UnsafeRawBufferPointer(start: p, count: count)) }
    }

    func writeGuestByte(_ ipa: UInt64, _ byte: UInt8) {
        guard let slot = stage2.memslot(containing: ipa), let p = memory.pointer(slot.hostPA &+ (ipa &- slot.ipa)) else { return }
        (running ?? vcpus[0]).storeMemory { p.storeBytes(of: byte, as: UInt8.self) }
    }

    // MARK: LPI configuration and pending state

    /// update_lpi_config: the LPI's priority and enable from its property
    /// table byte (for the LPIs targeting `filter` only, if given). An LPI
    /// that waits pending and is now enabled reaches its vCPU. False when the
    /// byte is outside guest RAM.
    @discardableResult
    func updateLPIConfig(_ intid: Int, filter: Int? = nil) -> Bool {
        guard let lpi = gic.lpi.lpis[intid] else { return true }
        guard let prop = readGuestRAM(gic.lpi.propertyTable &+ UInt64(intid - LPIState.firstINTID), count: 1)?[0] else { return false }
        guard filter == nil || filter == lpi.target else { return true }
        gic.lpi.lpis[intid]?.priority = prop & 0xFC
        gic.lpi.lpis[intid]?.enabled = prop & 1 != 0
        // A pending LPI enabled now is sent now, not when it became pending: queued anew.
        if prop & 1 != 0, !lpi.enabled, let t = lpi.target, configuration.entryEL == 1,
           vcpus[t].pendingInterrupts.contains(where: { $0.intid == intid }) {
            vcpus[t].dequeue { $0.intid == intid }
            _ = vcpus[t].enqueue(intid, hw: false, at: currentCPU.clock.cycles)
        }
        // The vCPU handling this exit flushes its queue on entry; another is kicked if it can now take
        // one, and runs before this one goes further in virtual time.
        if let t = lpi.target {
            if t != running?.index || configuration.entryEL == 2 { enabledChanged(cpu: t) }
            if t != running?.index { currentCPU.yieldPE() }
        }
        return true
    }

    /// vgic_v3_lpi_sync_pending_status, for an LPI just mapped: its bit in
    /// the target's pending table makes it pending, and is consumed.
    func syncLPIPendingBit(_ intid: Int) {
        guard let t = gic.lpi.lpis[intid]?.target else { return }
        let byte = gic.lpi.pendingTable(t) &+ UInt64(intid / 8)
        guard let b = readGuestRAM(byte, count: 1)?[0], b & (1 << UInt8(intid % 8)) != 0 else { return }
        setLPIPending(intid, target: t)
        writeGuestByte(byte, b & ~(1 << UInt8(intid % 8)))
    }

    /// its_sync_lpi_pending_table: every LPI targeting `cpu` takes its pending
    /// state from the pending table (read a byte at a time, as KVM does).
    func syncPendingTable(cpu: Int) {
        let table = gic.lpi.pendingTable(cpu)
        var last: (offset: Int, byte: UInt8?) = (-1, nil)
        for intid in gic.lpi.intids(targeting: cpu) {
            if intid / 8 != last.offset { last = (intid / 8, readGuestRAM(table &+ UInt64(intid / 8), count: 1)?[0]) }
            guard let b = last.byte else { continue }
            if b & (1 << UInt8(intid % 8)) != 0 { setLPIPending(intid, target: cpu) } else { clearLPIPending(intid, target: cpu) }
        }
    }

    /// The LPI becomes pending at vCPU `target`'s redistributor
    /// (vgic_queue_irq_unlock): queued for the list registers, or with the
    /// guest owning EL2, pending at its PE's physical redistributor.
    func setLPIPending(_ intid: Int, target: Int) {
        guard target < vcpus.count else { return }
        let source = running ?? vcpus[0]
        if configuration.entryEL == 2 {
            vcpus[target].cpu.setPhysicalLPI(intid, pending: true)
            if target != source.index { source.cpu.yieldPE() }   // let the target run before the sender goes on
            return
        }
        deliver(intid: intid, to: vcpus[target], from: source, why: "LPI \(intid)")
    }

    /// The LPI is no longer pending at `target` (CLEAR, LPIs disabled, the LPI
    /// unmapped). One already in a list register stays there, as under KVM.
    func clearLPIPending(_ intid: Int, target: Int) {
        guard target < vcpus.count else { return }
        if configuration.entryEL == 2 { vcpus[target].cpu.setPhysicalLPI(intid, pending: false); return }
        vcpus[target].dequeue { $0.intid == intid }
    }

    func isLPIPending(_ intid: Int, target: Int) -> Bool {
        guard target < vcpus.count else { return false }
        if configuration.entryEL == 2 { return vcpus[target].cpu.isPhysicalLPIPending(intid) }
        return vcpus[target].pendingInterrupts.contains { $0.intid == intid }
    }

    /// update_affinity: the LPI now targets `cpu`; a pending state it had
    /// elsewhere moves with it.
    func retarget(_ intid: Int, to cpu: Int) {
        guard let old = gic.lpi.lpis[intid]?.target, old != cpu else {
            gic.lpi.lpis[intid]?.target = cpu
            return
        }
        gic.lpi.lpis[intid]?.target = cpu
        if isLPIPending(intid, target: old) {
            clearLPIPending(intid, target: old)
            setLPIPending(intid, target: cpu)
        }
    }

    /// vgic_add_lpi: a mapping's reference to LPI `intid`, made with its
    /// configuration and pending bit read from the tables if it is new.
    /// False (and nothing mapped) when its property byte is outside guest RAM.
    func addLPI(_ intid: Int, target: Int?) -> Bool {
        if gic.lpi.lpis[intid] != nil {
            gic.lpi.lpis[intid]?.references += 1
            return true
        }
        gic.lpi.lpis[intid] = LPI(target: target)
        guard updateLPIConfig(intid) else {
            gic.lpi.lpis[intid] = nil
            return false
        }
        syncLPIPendingBit(intid)
        return true
    }

    /// vgic_put_irq: a mapping of the LPI is gone; with the last one, the LPI
    /// and its pending state go too (vgic_prune_ap_list drops it).
    func releaseLPI(_ intid: Int) {
        guard let lpi = gic.lpi.lpis[intid] else { return }
        if lpi.references > 1 {
            gic.lpi.lpis[intid]?.references -= 1
            return
        }
        gic.lpi.lpis[intid] = nil
        if let t = lpi.target { clearLPIPending(intid, target: t) }
    }
}
