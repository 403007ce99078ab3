/// The names of the emulated devices' registers by offset, as their manuals
/// spell them (PL011 and PL031 TRMs, the GICv3 architecture specification),
/// for the MMIO statistics. An offset inside a register (a byte of
/// IPRIORITYR, TYPER's upper word) gets the register's name.
enum DeviceRegisterNames {
    static func name(device: String, offset: UInt64) -> String? {
        switch device {
        case "pl011": return pl011(offset)
        case "pl031": return pl031(offset)
        case "gicd": return gicd(offset)
        case "pci-ecam": return pciConfig(offset)
        case "gits": return gits(offset)
        // The test device has no manual: bytes that read back what was written;
        // +0x08 is the register a user-space device model serves.
        case "testdev": return (0x08..<0x10).contains(offset) ? "user" : nil
        default:
            // gicr0, gicr1, ...: one RD_base frame and its SGI_base frame.
            if device.hasPrefix("gicr") { return offset < 0x1_0000 ? gicrRD(offset) : gicrSGI(offset - 0x1_0000) }
            return nil
        }
    }

    static func pl011(_ o: UInt64) -> String? {
        let names: [UInt64: String] = [0x00: "UARTDR", 0x04: "UARTRSR", 0x18: "UARTFR", 0x20: "UARTILPR", 0x24: "UARTIBRD",
                                       0x28: "UARTFBRD", 0x2C: "UARTLCR_H", 0x30: "UARTCR", 0x34: "UARTIFLS", 0x38: "UARTIMSC",
                                       0x3C: "UARTRIS", 0x40: "UARTMIS", 0x44: "UARTICR", 0x48: "UARTDMACR"]
        return names[o & ~3] ?? primeCellID("UART", o)
    }

    static func pl031(_ o: UInt64) -> String? {
        let names = ["RTCDR", "RTCMR", "RTCLR", "RTCCR", "RTCIMSC", "RTCRIS", "RTCMIS", "RTCICR"]
        return o < 0x20 ? names[Int(o / 4)] : primeCellID("RTC", o)
    }

    /// PeriphID0-3 and PCellID0-3 at 0xFE0-0xFFC, as the PrimeCell TRMs name them.
    static func primeCellID(_ prefix: String, _ o: UInt64) -> String? {
        guard (0xFE0..<0x1000).contains(o) else { return nil }
        let n = (o - 0xFE0) / 4
        return n < 4 ? "\(prefix)PeriphID\(n)" : "\(prefix)PCellID\(n - 4)"
    }

    /// A register array: NAME<n> for `o` in `start..<end`, `width` bytes each.
    static func array(_ name: String, _ o: UInt64, _ start: UInt64, _ end: UInt64, width: UInt64 = 4) -> String? {
        (start..<end).contains(o) ? "\(name)\((o - start) / width)" : nil
    }

    static func gicd(_ o: UInt64) -> String? {
        let single: [UInt64: String] = [0x0000: "GICD_CTLR", 0x0004: "GICD_TYPER", 0x0008: "GICD_IIDR", 0x000C: "GICD_TYPER2",
                                        0x0010: "GICD_STATUSR", 0x0040: "GICD_SETSPI_NSR", 0x0048: "GICD_CLRSPI_NSR",
                                        0x0050: "GICD_SETSPI_SR", 0x0058: "GICD_CLRSPI_SR", 0x0F00: "GICD_SGIR"]
        if let n = single[o & ~3] { return n }
        let arrays: [(String, UInt64, UInt64, UInt64)] = [
            ("GICD_IGROUPR", 0x0080, 0x0100, 4), ("GICD_ISENABLER", 0x0100, 0x0180, 4), ("GICD_ICENABLER", 0x0180, 0x0200, 4),
            ("GICD_ISPENDR", 0x0200, 0x0280, 4), ("GICD_ICPENDR", 0x0280, 0x0300, 4), ("GICD_ISACTIVER", 0x0300, 0x0380, 4),
            ("GICD_ICACTIVER", 0x0380, 0x0400, 4), ("GICD_IPRIORITYR", 0x0400, 0x0800, 4), ("GICD_ITARGETSR", 0x0800, 0x0C00, 4),
            ("GICD_ICFGR", 0x0C00, 0x0D00, 4), ("GICD_IGRPMODR", 0x0D00, 0x0D80, 4), ("GICD_NSACR", 0x0E00, 0x0F00, 4),
            ("GICD_IROUTER", 0x6000, 0x7FE0, 8),
        ]
        for (name, start, end, width) in arrays { if let n = array(name, o, start, end, width: width) { return n } }
        return identification("GICD_", o)
    }

    static func gits(_ o: UInt64) -> String? {
        let names: [UInt64: String] = [0x0000: "GITS_CTLR", 0x0004: "GITS_IIDR", 0x0008: "GITS_TYPER", 0x000C: "GITS_TYPER",
                                       0x0080: "GITS_CBASER", 0x0084: "GITS_CBASER", 0x0088: "GITS_CWRITER",
                                       0x008C: "GITS_CWRITER", 0x0090: "GITS_CREADR", 0x0094: "GITS_CREADR",
                                       0x1_0040: "GITS_TRANSLATER"]
        return names[o & ~3] ?? array("GITS_BASER", o, 0x0100, 0x0140, width: 8) ?? identification("GITS_", o)
    }

    static func gicrRD(_ o: UInt64) -> String? {
        let names: [UInt64: String] = [0x0000: "GICR_CTLR", 0x0004: "GICR_IIDR", 0x0008: "GICR_TYPER", 0x000C: "GICR_TYPER",
                                       0x0010: "GICR_STATUSR", 0x0014: "GICR_WAKER", 0x0040: "GICR_SETLPIR", 0x0048: "GICR_CLRLPIR",
                                       0x0070: "GICR_PROPBASER", 0x0078: "GICR_PENDBASER", 0x00A0: "GICR_INVLPIR",
                                       0x00B0: "GICR_INVALLR", 0x00C0: "GICR_SYNCR"]
        return names[o & ~3] ?? identification("GICR_", o)
    }

    static func gicrSGI(_ o: UInt64) -> String? {
        let names: [UInt64: String] = [0x0080: "GICR_IGROUPR0", 0x0100: "GICR_ISENABLER0", 0x0180: "GICR_ICENABLER0",
                                       0x0200: "GICR_ISPENDR0", 0x0280: "GICR_ICPENDR0", 0x0300: "GICR_ISACTIVER0",
                                       0x0380: "GICR_ICACTIVER0", 0x0C00: "GICR_ICFGR0", 0x0C04: "GICR_ICFGR1",
                                       0x0D00: "GICR_IGRPMODR0", 0x0E00: "GICR_NSACR"]
        return names[o & ~3] ?? array("GICR_IPRIORITYR", o, 0x0400, 0x0420)
    }

    /// PIDR4-7, PIDR0-3 and CIDR0-3 at 0xFFD0-0xFFFC of a GIC frame.
    static func identification(_ prefix: String, _ o: UInt64) -> String? {
        guard (0xFFD0..<0x1_0000).contains(o) else { return nil }
        let names = ["PIDR4", "PIDR5", "PIDR6", "PIDR7", "PIDR0", "PIDR1", "PIDR2", "PIDR3", "CIDR0", "CIDR1", "CIDR2", "CIDR3"]
        return prefix + names[Int(o - 0xFFD0) / 4]
    }
}

