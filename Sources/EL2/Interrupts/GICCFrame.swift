import AArch64

/// The physical GICv2 CPU interface's frame (GICC, GICv2 spec 4.4) for a
/// guest that owns EL2 with `--gic-version 2`: the same state as the GICv3
/// ICC_* registers (`physicalICCRead`/`Write`), by offset. GICC_IAR gives an
/// SGI's source CPU in bits [12:10]; an SGI pending from several CPUs stays
/// pending until each has been acknowledged.
extension Processor {
    public static let giccSize: UInt64 = 0x2000

    public func physicalGICCRead(_ offset: UInt64) -> UInt64 {
        guard let g = ownEL2 else { return 0 }
        switch offset {
        case 0x00: return physicalICCRead(g, .ICC_IGRPEN1_EL1) | (g.eoiMode ? 1 << 9 : 0)
        case 0x04: return g.pmr
        case 0x08: return g.bpr1
        case 0x0C:
            let intid = Int(physicalICCRead(g, .ICC_IAR1_EL1))
            guard intid < 16, physical.sgiSources[intid] != 0 else { return UInt64(intid) }
            let source = physical.sgiSources[intid].trailingZeroBitCount
            physical.sgiSources[intid] &= ~(1 << UInt8(source))
            if physical.sgiSources[intid] != 0 { physical.pending |= 1 << UInt32(intid) }   // still pending from another CPU
            return UInt64(intid | source << 10)
        case 0x14: return physicalICCRead(g, SystemRegister(3, 0, 12, 11, 3))   // RPR
        case 0x18: return physicalICCRead(g, .ICC_HPPIR1_EL1)
        case 0xFC: return 0x0002_043B   // GICC_IIDR: Arm, architecture version 2
        default: return 0
        }
    }

    public func physicalGICCWrite(_ offset: UInt64, _ v: UInt64) {
        guard let g = ownEL2 else { return }
        switch offset {
        case 0x00:
            physicalICCWrite(g, .ICC_IGRPEN1_EL1, v & 1)
            physicalICCWrite(g, .ICC_CTLR_EL1, v >> 8 & 2)   // EOImodeNS[9]
        case 0x04: physicalICCWrite(g, .ICC_PMR_EL1, v)
        case 0x08: physicalICCWrite(g, .ICC_BPR1_EL1, v)
        case 0x10: physicalICCWrite(g, .ICC_EOIR1_EL1, v & 0x3FF)
        case 0x1000: physicalICCWrite(g, .ICC_DIR_EL1, v & 0x3FF)
        default: break
        }
    }
}
