/// The device tree of what el2emu emulates, laid out as QEMU's `virt`
/// board describes itself: memory, PSCI over HVC, cpus, GICv3 with its ITS (or GICv2),
/// the generic timer, the PMU, PL011 with its clock, PL031, the PCIe host
/// bridge, and /chosen.
public enum VirtBoardDeviceTree {
    static let gicPhandle: UInt32 = 1
    static let clockPhandle: UInt32 = 2
    static let itsPhandle: UInt32 = 3
    // GIC interrupt specifiers: <type number flags>; type 0 SPI, 1 PPI; flags 4 = level high.
    static func ppi(_ intid: UInt32) -> [UInt32] { [1, intid - 16, 4] }
    static func spi(_ intid: UInt32) -> [UInt32] { [0, intid - 32, 4] }

    public static func make(_ c: Configuration, bootargs: String = "") -> FlattenedDeviceTree {
        var fdt = FlattenedDeviceTree()
        fdt.bootCPU = 0
        let root = fdt.root
        root.set("compatible", .string("linux,dummy-virt"))
            .set("model", .string("el2emu virt"))
            .set("#address-cells", .cells([2])).set("#size-cells", .cells([2]))
            .set("interrupt-parent", .cells([gicPhandle]))

        root.add(.init("psci"))
            .set("compatible", .strings(["arm,psci-1.0", "arm,psci-0.2", "arm,psci"]))
            // Entry at EL2: the guest owns the HVC conduit; PSCI is EL3 firmware's, over SMC (as QEMU with virtualization=on).
            .set("method", .string(c.entryEL == 2 ? "smc" : "hvc"))

        root.add(.init("memory@\(hex(c.ramBase))"))
            .set("device_type", .string("memory"))
            .set("reg", .u64([c.ramBase, c.ramSize]))

        let cpus = root.add(.init("cpus")).set("#address-cells", .cells([1])).set("#size-cells", .cells([0]))
        for i in 0..<c.cpus {
            cpus.add(.init("cpu@\(i)"))
                .set("device_type", .string("cpu"))
                .set("compatible", .string("arm,cortex-a57"))
                .set("reg", .cells([UInt32(i)]))
                .set("enable-method", .string("psci"))
        }

        let intc = root.add(.init("intc@8000000"))
            .set("compatible", .string(c.gicVersion == 2 ? "arm,cortex-a15-gic" : "arm,gic-v3"))
            .set("#interrupt-cells", .cells([3]))
            .set("interrupt-controller", .empty)
            .set("#address-cells", .cells([2])).set("#size-cells", .cells([2]))
            .set("ranges", .empty)
        if c.gicVersion == 2 {
            // QEMU virt's GICv2: distributor and CPU interface (GICv2.swift).
            intc.set("reg", .u64([0x0800_0000, 0x1_0000, GICv2Distributor.cpuInterfaceBase, 0x1_0000]))
                .set("phandle", .cells([gicPhandle]))
        } else {
            intc.set("#redistributor-regions", .cells([1]))
                .set("reg", .u64([0x0800_0000, 0x1_0000, 0x080A_0000, UInt64(c.cpus) * 0x2_0000]))
                .set("interrupts", .cells(ppi(25)))
                .set("phandle", .cells([gicPhandle]))
                .add(.init("its@8080000"))
                .set("compatible", .string("arm,gic-v3-its"))
                .set("msi-controller", .empty)
                .set("#msi-cells", .cells([1]))
                .set("reg", .u64([0x0808_0000, 0x2_0000]))
                .set("phandle", .cells([itsPhandle]))
        }

        root.add(.init("timer"))
            .set("compatible", .strings(["arm,armv8-timer", "arm,armv7-timer"]))
            // Secure, non-secure physical, virtual, EL2 physical; and the EL2 virtual timer for a guest that owns EL2.
            .set("interrupts", .cells(ppi(29) + ppi(30) + ppi(27) + ppi(26) + (c.entryEL == 2 ? ppi(28) : [])))
            .set("always-on", .empty)

        // The PMUv3 (PMU.swift; the PE's own when the guest owns EL2): its overflow interrupt, PPI 7 = INTID 23.
        root.add(.init("pmu"))
            .set("compatible", .string("arm,armv8-pmuv3"))
            .set("interrupts", .cells(ppi(23)))

        root.add(.init("apb-pclk"))
            .set("compatible", .string("fixed-clock"))
            .set("#clock-cells", .cells([0]))
            .set("clock-frequency", .cells([24_000_000]))
            .set("clock-output-names", .string("clk24mhz"))
            .set("phandle", .cells([clockPhandle]))

        root.add(.init("pl011@9000000"))
            .set("compatible", .strings(["arm,pl011", "arm,primecell"]))
            .set("reg", .u64([0x0900_0000, 0x1000]))
            .set("interrupts", .cells(spi(33)))
            .set("clocks", .cells([clockPhandle, clockPhandle]))
            .set("clock-names", .strings(["uartclk", "apb_pclk"]))

        root.add(.init("pl031@9010000"))
            .set("compatible", .strings(["arm,pl031", "arm,primecell"]))
            .set("reg", .u64([0x0901_0000, 0x1000]))
            .set("interrupts", .cells(spi(34)))
            .set("clocks", .cells([clockPhandle]))
            .set("clock-names", .string("apb_pclk"))

        addPCIHostBridge(to: root, msi: c.gicVersion == 3)

        let chosen = root.add(.init("chosen")).set("stdout-path", .string("/pl011@9000000"))
        if !bootargs.isEmpty { chosen.set("bootargs", .string(bootargs)) }
        if let r = c.initrd {
            // As QEMU's arm boot writes them: one cell each (two past 4 GiB; Linux reads either).
            func cells(_ v: UInt64) -> FlattenedDeviceTree.Value { v >> 32 == 0 ? .cells([UInt32(v)]) : .u64([v]) }
            chosen.set("linux,initrd-start", cells(r.lowerBound)).set("linux,initrd-end", cells(r.upperBound))
        }
        return fdt
    }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }
}
