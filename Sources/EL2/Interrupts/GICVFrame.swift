/// The GICv2 virtual CPU interface's memory-mapped frame (GICV, as QEMU
/// virt places it at PA 0x0804_0000): a hypervisor maps it at stage 2 where
/// its GICv2 guest expects the CPU interface (GICC), and the guest's GICC_*
/// accesses are served from the same list registers as the GICv3 ICV_*
/// view, without an exit (GICv2 spec 5.3; KVM's vgic-v2). A v2 guest's SGI
/// carries its source in vINTID[12:10], which GICV_IAR returns, as KVM fills
/// the LR of a v2 guest on GICv3 hardware. Its interrupts are Group 0
/// signalled as IRQ: GICV_CTLR.EnableGrp0 is the one enable, held in VENG1.
extension VirtualCPUInterface {
    public static let gicvBase: UInt64 = 0x0804_0000
    public static let gicvSize: UInt64 = 0x2000

    func gicvRead(_ offset: UInt64) -> UInt64 {
        switch offset {
        case 0x00: return guestRead(.ICC_IGRPEN1_EL1) | (ctlr & 2) << 8   // EnableGrp0, EOImode[9]
        case 0x04: return guestRead(.ICC_PMR_EL1)
        case 0x08: return guestRead(.ICC_BPR1_EL1)
        case 0x0C: return acknowledge() & 0x1FFF
        case 0x14: return min(runningPriority, 0xFF)   // GICV_RPR: 0xFF when idle
        case 0x18: return guestRead(.ICC_HPPIR1_EL1) & 0x1FFF
        case 0xFC: return 0x0002_043B   // GICV_IIDR: Arm, architecture version 2
        default: return 0
        }
    }

    func gicvWrite(_ offset: UInt64, _ v: UInt64) {
        switch offset {
        case 0x00:
            guestWrite(.ICC_IGRPEN1_EL1, v & 1)
            ctlr = v >> 8 & 2
        case 0x04: guestWrite(.ICC_PMR_EL1, v & 0xFF)
        case 0x08: guestWrite(.ICC_BPR1_EL1, v & 7)
        case 0x10: endOfInterrupt(v & 0x1FFF)
        case 0x1000: guestWrite(.ICC_DIR_EL1, v & 0x1FFF)
        default: break
        }
    }
}

extension Processor {
    /// A stage-2 translation to the GICV frame: the frame's page is entered as MMIO at the IPA.
    func tlbFillGICV(_ m: Stage2Mapping, for ipa: UInt64) -> Bool {
        let pa = m.paBase &+ (ipa & ~0xFFF &- m.ipaBase)
        let frame = VirtualCPUInterface.gicvBase
        guard pa >= frame, pa &- frame < VirtualCPUInterface.gicvSize else { return false }
        let base = ipa & ~0xFFF, page = pa &- frame
        tlbRemove(overlapping: base, size: 4096)
        do {
            try engine.mapMMIO(address: base, size: 4096,
                               read: { [unowned(unsafe) self] off, _ in
                                   self.hookRan()
                                   let v = self.vgic.gicvRead(page &+ off)
                                   self.updateVirtualInterruptLines()
                                   return v
                               },
                               write: { [unowned(unsafe) self] off, _, v in
                                   self.hookRan()
                                   self.vgic.gicvWrite(page &+ off, v)
                                   self.updateVirtualInterruptLines()
                               })
        } catch { return false }
        tlb.insert(.init(size: 4096), at: base)
        return true
    }
}
