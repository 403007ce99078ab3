extension DeviceRegisterNames {
    /// An ECAM offset as bus:device.function and the type 0 header register
    /// Linux's pci_regs.h names (without PCI_): "00:01.0 BAR0", "00:00.0 VENDOR_ID".
    static func pciConfig(_ o: UInt64) -> String? {
        let reg = o & 0xFFF
        let names: [UInt64: String] = [0x00: "VENDOR_ID", 0x02: "DEVICE_ID", 0x04: "COMMAND", 0x06: "STATUS",
                                       0x08: "REVISION_ID", 0x09: "CLASS_PROG", 0x0A: "CLASS_DEVICE", 0x0C: "CACHE_LINE_SIZE",
                                       0x0D: "LATENCY_TIMER", 0x0E: "HEADER_TYPE", 0x0F: "BIST", 0x28: "CARDBUS_CIS",
                                       0x2C: "SUBSYSTEM_VENDOR_ID", 0x2E: "SUBSYSTEM_ID", 0x30: "ROM_ADDRESS",
                                       0x34: "CAPABILITY_LIST", 0x3C: "INTERRUPT_LINE", 0x3D: "INTERRUPT_PIN",
                                       0x3E: "MIN_GNT", 0x3F: "MAX_LAT"]
        guard let name = names[reg] ?? array("BAR", reg, 0x10, 0x28) else { return nil }
        func two(_ v: UInt64) -> String { String(String(0x100 | v & 0xFF, radix: 16).dropFirst()) }
        return "\(two(o >> 20)):\(two(o >> 15 & 0x1F)).\(o >> 12 & 7) \(name)"
    }
}
