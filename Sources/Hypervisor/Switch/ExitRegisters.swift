import AArch64
import EL2

/// The system registers the world switch names on every exit, routed at
/// compile time (`SystemRegisterHandle`'s constants): each access is still an
/// MRS or MSR, counted as any other, but folds to its path.
struct ExitRegisters {
    var elrEL2: SystemRegisterHandle { .elrEL2 }
    var spsrEL2: SystemRegisterHandle { .spsrEL2 }
    /// With E2H, these encodings reach ELR_EL2/SPSR_EL2 from EL2.
    var elrEL1: SystemRegisterHandle { .elrEL1 }
    var spsrEL1: SystemRegisterHandle { .spsrEL1 }
    var esr: SystemRegisterHandle { .esrEL2 }
    var far: SystemRegisterHandle { .farEL2 }
    var hpfar: SystemRegisterHandle { .hpfarEL2 }
    var hcr: SystemRegisterHandle { .hcrEL2 }
    var cptr: SystemRegisterHandle { .cptrEL2 }
    var mdcr: SystemRegisterHandle { .mdcrEL2 }
    var vbarEL2: SystemRegisterHandle { .vbarEL2 }
    var vttbr: SystemRegisterHandle { .vttbrEL2 }
    var cpacrEL1: SystemRegisterHandle { .cpacrEL1 }
    var vbarEL1: SystemRegisterHandle { .vbarEL1 }
    var mdscr: SystemRegisterHandle { .mdscrEL1 }
    var cntvCtl: SystemRegisterHandle { .cntvCtlEL0 }
    var cntvCval: SystemRegisterHandle { .cntvCvalEL0 }
    var cntvoff: SystemRegisterHandle { .cntvoffEL2 }
    var ichHCR: SystemRegisterHandle { .ichHCREL2 }
    var ichELRSR: SystemRegisterHandle { .ichELRSREL2 }
    var ichVMCR: SystemRegisterHandle { .ichVMCREL2 }
}
