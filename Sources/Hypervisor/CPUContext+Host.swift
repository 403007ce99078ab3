import AArch64

extension CPUContext {
    /// The host kernel's EL1 state in split mode: a Linux-like configuration
    /// (MMU and caches on, its own tables and vectors), distinct from any guest's.
    static var hostKernel: CPUContext {
        var c = CPUContext()
        c[.SCTLR_EL1] = 0x34D5_D91D
        c[.TTBR0_EL1] = 0x8_0100_0000
        c[.TTBR1_EL1] = 0x8_0100_1000
        c[.TCR_EL1] = 0x32_B551_9519
        c[.MAIR_EL1] = 0x0000_BBFF_440C_0400
        c[.VBAR_EL1] = 0xFFFF_8000_1001_0800
        c[.CPACR_EL1] = 0x30_0000
        c[.TPIDR_EL1] = 0xFFFF_0000_3FDC_0000
        c[.CNTKCTL_EL1] = 0xD6
        return c
    }
}
