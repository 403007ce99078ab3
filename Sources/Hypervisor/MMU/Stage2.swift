import AArch64
import EL2

/// One slot of guest RAM: IPA range and the host physical memory behind it
/// (KVM's memslot). Guest RAM is not identity mapped and may be split.
public struct Memslot: Sendable {
    public var ipa: UInt64
    public var hostPA: UInt64
    public var size: UInt64
    public func contains(_ a: UInt64) -> Bool { a >= ipa && a &- ipa < size }
}

/// The VM's stage 2: its memslots, the tables in host memory, VTTBR_EL2
/// (table base and VMID) and VTCR_EL2. Built before any vCPU runs; the
/// world switch loads `vttbr`.
final class Stage2 {
    let vtcr: UInt64
    private(set) var vmid: UInt16 = 1
    let memslots: [Memslot]
    let tables: Stage2PageTables
    var vttbr: UInt64
    /// Pages a test has made read-only or execute-never, by IPA page, with the
    /// permissions to restore on the first fault (a dirty-logging-like fixup).
    var protectedPages: [UInt64: Stage2PageTables.Permissions] = [:]
    /// Stage-2 faults resolved by mapping RAM on first touch.
    var demandFaults = 0
    /// A fault on RAM maps its 2 MiB block when it can (Configuration.transparentHugepage).
    let transparentHugepage: Bool

    /// Where the table pool lives in host physical memory: nowhere the guest can reach.
    static let tablePoolBase: UInt64 = 0x7_F000_0000
    static let tablePoolSize: UInt64 = 8 << 20

    init(memory: HostMemory, configuration c: Configuration) throws {
        vtcr = c.vtcr.raw
        transparentHugepage = c.transparentHugepage
        // Guest RAM: `ramHostRegions` host regions, 4 GiB apart in host PA. A guest
        // run without stage 2 (`--hcr -VM`) sees host PAs: its RAM must be where it expects it.
        var c = c
        if !c.guestHCR.contains(.VM) || c.entryEL == 2 { c.ramHostBase = c.ramBase; c.ramHostRegions = 1 }
        var slots: [Memslot] = []
        let n = c.ramSize >= UInt64(c.ramHostRegions) << 21 ? max(1, c.ramHostRegions) : 1
        let chunk = n == 1 ? c.ramSize : (c.ramSize / UInt64(n)) & ~((1 << 21) - 1)
        var offset: UInt64 = 0
        for i in 0..<n {
            let size = i == n - 1 ? c.ramSize - offset : chunk
            let host = c.ramHostBase &+ UInt64(i) << 32
            try memory.add(base: host, size: size)
            slots.append(Memslot(ipa: c.ramBase &+ offset, hostPA: host, size: size))
            offset &+= size
        }
        memslots = slots
        tables = try Stage2PageTables(memory: memory, vtcr: c.vtcr, poolBase: Stage2.tablePoolBase, poolSize: Stage2.tablePoolSize)
        guard c.ramBase &+ c.ramSize <= 1 << UInt64(c.vtcr.inputBits) else {
            throw Stage2PageTables.BuildError(description: "guest RAM ends above the \(c.vtcr.inputBits)-bit IPA space of VTCR_EL2")
        }
        if !c.demandPaging {
            for s in memslots { try tables.map(ipa: s.ipa, pa: s.hostPA, size: s.size) }
        }
        // A GICv2 guest's CPU interface (GICC) is the GICV frame, mapped where it expects GICC (KVM's vgic-v2).
        if c.gicVersion == 2 && c.entryEL == 1 {
            try tables.map(ipa: GICv2Distributor.cpuInterfaceBase, pa: VirtualCPUInterface.gicvBase, size: VirtualCPUInterface.gicvSize,
                           permissions: .init(execute: false), memAttr: Stage2Descriptor.deviceNGnRE)
        }
        vttbr = VTTBR(baseAddress: tables.root, vmid: vmid).raw
    }

    func setVMID(_ v: UInt16) {
        vmid = v
        vttbr = VTTBR(baseAddress: tables.root, vmid: v).raw
    }

    func memslot(containing ipa: UInt64) -> Memslot? { memslots.first { $0.contains(ipa) } }

    /// What a translation fault on RAM at `page` maps (user_mem_abort): its
    /// 4 KiB page, or with transparent huge pages the 2 MiB block around it
    /// when the block lies in the memslot with IPA and host PA equally aligned
    /// (fault_supports_stage2_huge_mapping) and no level-3 table covers it yet
    /// (the walk faulted above level 3: KVM would replace such a table, a
    /// break-before-make not modelled).
    func demandMapping(_ page: UInt64, in slot: Memslot, faultLevel: Int) -> (ipa: UInt64, pa: UInt64, size: UInt64) {
        let block: UInt64 = 1 << 21, base = page & ~(block - 1), pa = slot.hostPA &+ (base &- slot.ipa)
        if transparentHugepage && faultLevel < 3 && tables.startLevel <= 2
            && base >= slot.ipa && base &+ block <= slot.ipa &+ slot.size && pa & (block - 1) == 0 {
            return (base, pa, block)
        }
        return (page, slot.hostPA &+ (page &- slot.ipa), 4096)
    }

    /// The host PA behind a guest RAM IPA.
    func hostPA(_ ipa: UInt64) -> UInt64? {
        memslot(containing: ipa).map { $0.hostPA &+ (ipa &- $0.ipa) }
    }
}

extension VirtualMachine {
    /// Programs VTCR_EL2 once at hypervisor init (KVM's hyp init); VTTBR_EL2 is
    /// loaded by the world switch on each entry (nVHE) or at vcpu_load (VHE).
    func programStage2(_ cpu: Processor) {
        cpu.write(.VTCR_EL2, stage2.vtcr)
    }

    /// Copies bytes to guest RAM at an IPA, across memslots.
    func copyToGuest(_ bytes: UnsafeRawBufferPointer, at ipa: UInt64) -> Bool {
        var done = 0
        while done < bytes.count {
            let a = ipa &+ UInt64(done)
            guard let slot = stage2.memslot(containing: a) else { return false }
            let n = min(bytes.count - done, Int(slot.size - (a - slot.ipa)))
            guard memory.write(slot.hostPA &+ (a - slot.ipa), UnsafeRawBufferPointer(rebasing: bytes[done..<done + n])) else { return false }
            done += n
        }
        return true
    }

    // MARK: Test and tool API: stage-2 changes made by the hypervisor

    /// The VM's memslots (guest RAM IPA -> host PA).
    public var memslots: [Memslot] { stage2.memslots }

    /// A fresh host page outside guest RAM, filled with `byte`; returns its host PA.
    public func allocateHostPage(filledWith byte: UInt8 = 0) throws -> UInt64 {
        let pa = try stage2.tables.allocatePage()
        memory.pointer(pa, count: 4096)?.initializeMemory(as: UInt8.self, repeating: byte, count: 4096)
        return pa
    }

    /// Points the guest page at `ipa` to host page `hostPA`. With `invalidate`,
    /// the hypervisor then does what KVM does after changing a live entry:
    /// TLBI IPAS2E1IS for the IPA, then TLBI VMALLE1IS, under the guest's VMID.
    /// Without it, the guest keeps seeing the old page until a TLBI or a TLB refill.
    public func remapGuestPage(ipa: UInt64, toHostPA hostPA: UInt64, invalidate: Bool) throws {
        try stage2.tables.map(ipa: ipa & ~0xFFF, pa: hostPA & ~0xFFF, size: 4096)
        if invalidate { flushStage2(ipa: ipa) }
    }

    /// Makes the guest page at `ipa` read-only and/or execute-never at stage 2;
    /// the first fault on it is recorded and the old permissions come back.
    public func protectGuestPage(ipa: UInt64, writable: Bool, executable: Bool) throws {
        let page = ipa & ~0xFFF
        stage2.protectedPages[page] = .all
        try stage2.tables.setPermissions(page: page, .init(read: true, write: writable, execute: executable))
        flushStage2(ipa: page)
    }

    /// Clears the stage-2 access flag of the guest page at `ipa` (like KVM's
    /// kvm_age_gfn); the next access faults and the hypervisor sets it again.
    public func clearAccessFlag(ipa: UInt64) throws {
        try stage2.tables.clearAccessFlag(page: ipa)
        flushStage2(ipa: ipa)
    }

    /// Removes the guest page at `ipa` from stage 2 (a later access faults).
    public func unmapGuestPage(ipa: UInt64) throws {
        try stage2.tables.unmap(page: ipa)
        flushStage2(ipa: ipa)
    }

    /// Gives the VM a new VMID (KVM's VMID rollover, kvm_arm_vmid_update): the
    /// TLB entries of the old VMID no longer apply. Under VHE, VTTBR_EL2 is
    /// reloaded at once (__load_stage2), as KVM does; split mode loads it on entry.
    public func changeVMID(_ vmid: UInt16) {
        stage2.setVMID(vmid)
        if worldSwitch.mode == .vhe { currentCPU.write(.VTTBR_EL2, stage2.vttbr) }
    }

    /// KVM's __kvm_tlb_flush_vmid_ipa: with the guest's VTTBR_EL2 loaded,
    /// invalidate the IPA at stage 2, then all stage-1 entries (they may combine both stages).
    func flushStage2(ipa: UInt64) {
        let cpu = currentCPU
        let saved = cpu.read(.VTTBR_EL2)
        if saved != stage2.vttbr { cpu.write(.VTTBR_EL2, stage2.vttbr) }
        cpu.tlbi(.ipas2e1is, TLBIOperation.ipaOperand(ipa))
        cpu.tlbi(.vmalle1is)
        if saved != stage2.vttbr { cpu.write(.VTTBR_EL2, saved) }
    }

    /// KVM's __kvm_tlb_flush_vmid: everything of the guest's VMID.
    func flushStage2All() {
        let cpu = currentCPU
        let saved = cpu.read(.VTTBR_EL2)
        if saved != stage2.vttbr { cpu.write(.VTTBR_EL2, stage2.vttbr) }
        cpu.tlbi(.vmalls12e1is)
        if saved != stage2.vttbr { cpu.write(.VTTBR_EL2, saved) }
    }
}
