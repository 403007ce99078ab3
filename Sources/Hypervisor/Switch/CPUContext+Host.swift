import AArch64

extension CPUContext {
    /// The EL1 registers the host kernel sets in split mode, with their values:
    /// a Linux-like configuration (MMU and caches on, its own tables and
    /// vectors), distinct from any guest's.
    public static let hostKernelRegisters: [(SystemRegister, UInt64)] = [
        (.SCTLR_EL1, 0x34D5_D91D),
        (.TTBR0_EL1, 0x8_0100_0000),
        (.TTBR1_EL1, 0x8_0100_1000),
        (.TCR_EL1, 0x32_B551_9519),
        (.MAIR_EL1, 0x0000_BBFF_440C_0400),
        (.VBAR_EL1, 0xFFFF_8000_1001_0800),
        (.CPACR_EL1, CPACR.FPEN),
        (.TPIDR_EL1, 0xFFFF_0000_3FDC_0000),
        (.CNTKCTL_EL1, 0xD6),
    ]

    /// The host kernel's EL1 state in split mode (`hostKernelRegisters`, the rest 0).
    static var hostKernel: CPUContext {
        var c = CPUContext()
        for (r, v) in hostKernelRegisters { c[r] = v }
        return c
    }
}
