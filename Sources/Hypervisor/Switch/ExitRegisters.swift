import AArch64
import EL2

/// The system registers the world switch names on every exit, routed once
/// (`SystemRegisterHandle`): each access is still an MRS or MSR, counted as
/// any other, but skips the routing table.
struct ExitRegisters {
    let elrEL2 = SystemRegisterHandle(.ELR_EL2), spsrEL2 = SystemRegisterHandle(.SPSR_EL2)
    /// With E2H, these encodings reach ELR_EL2/SPSR_EL2 from EL2.
    let elrEL1 = SystemRegisterHandle(.ELR_EL1), spsrEL1 = SystemRegisterHandle(.SPSR_EL1)
    let esr = SystemRegisterHandle(.ESR_EL2), far = SystemRegisterHandle(.FAR_EL2), hpfar = SystemRegisterHandle(.HPFAR_EL2)
    let hcr = SystemRegisterHandle(.HCR_EL2), cptr = SystemRegisterHandle(.CPTR_EL2), mdcr = SystemRegisterHandle(.MDCR_EL2)
    let vbarEL2 = SystemRegisterHandle(.VBAR_EL2), vttbr = SystemRegisterHandle(.VTTBR_EL2)
    let cpacrEL1 = SystemRegisterHandle(.CPACR_EL1), vbarEL1 = SystemRegisterHandle(.VBAR_EL1)
    let mdscr = SystemRegisterHandle(.MDSCR_EL1)
    let cntvCtl = SystemRegisterHandle(.CNTV_CTL_EL0), cntvCval = SystemRegisterHandle(.CNTV_CVAL_EL0)
    let cntvoff = SystemRegisterHandle(.CNTVOFF_EL2)
    let ichHCR = SystemRegisterHandle(.ICH_HCR_EL2), ichELRSR = SystemRegisterHandle(.ICH_ELRSR_EL2)
    let ichVMCR = SystemRegisterHandle(.ICH_VMCR_EL2)
}
