/// The shipped profiles. Sources:
/// [ATC17] Dall, Li, Lim, Nieh, "Optimizing the Design and Implementation of
///         the Linux ARM Hypervisor", USENIX ATC 2017 (AMD Seattle, Cortex-A57).
/// [ISCA16] Dall, Li, Lim, Nieh, Koloventzos, "ARM Virtualization: Performance
///         and Architectural Implications", ISCA 2016 (APM X-Gene).
/// [ASPLOS14] Dall, Nieh, "KVM/ARM", ASPLOS 2014 (Cortex-A15: trap = 27 cycles).
/// [NEVE] Lim, Dall, Li, Nieh, Zyngier, "NEVE", SOSP 2017 (X-Gene: entering
///         EL2 68-76 cycles, returning 65).
/// [A57SOG] Arm Cortex-A57 Software Optimization Guide (UAN 0015B): MRS/MSR
///         latencies, load/store-to-use latency 4 cycles, DSB/ISB.
extension CostProfile {
    public static let cortexA57 = CostProfile(name: "Cortex-A57 (AMD Seattle)", prices: [
        .trapToEL2: (70, "[NEVE] entering EL2 68-76 cycles; [ASPLOS14] 27 on A15; A57 taken as the NEVE figure"),
        .eret: (65, "[NEVE] returning from EL2 65 cycles"),
        .hvcToEL2: (70, "[NEVE] entering EL2 (the highvisor's HVC is a trap to EL2)"),
        .eretToHost: (65, "[NEVE] returning from EL2 (ERET to the highvisor)"),
        .sysregReadEL1: (20, "[A57SOG] MRS of a non-self-synchronising system register; [ATC17] EL1 state save"),
        .sysregWriteEL1: (40, "[A57SOG] MSR to translation/control registers serialises; [ATC17] EL1 state restore"),
        .sysregReadEL2: (20, "[A57SOG] MRS latency"),
        .sysregWriteEL2: (45, "[A57SOG] MSR to HCR/VTTBR/CPTR are context-synchronising writes"),
        .sysregReadTimer: (20, "[A57SOG] MRS latency"),
        .sysregWriteTimer: (40, "[A57SOG] MSR latency"),
        .gprSave: (1, "[A57SOG] one STP stores two registers per cycle at best; one cycle per register"),
        .gprRestore: (2, "[A57SOG] LDP load-to-use latency amortised; two cycles per register"),
        .memoryAccess: (4, "[A57SOG] L1 load-to-use latency 4 cycles"),
        .tlbMaintenance: (100, "[A57SOG] TLBI + DSB ISH broadcast; [ATC17] stage-2 TLB flush costs"),
        .stage2WalkStep: (30, "[A57SOG] one page-table descriptor fetch from L2"),
        .listRegisterRead: (110, "[ISCA16] VGIC state save 3,250 of a 6,500-cycle hypercall; GICv3 ICH_* reads are slow system register accesses"),
        .listRegisterWrite: (110, "[ISCA16] VGIC restore, as for save"),
        .ioUserReturn: (5500, "[ATC17] Table 2: I/O User minus I/O Kernel, VHE column (7,630 - 1,604 ~ 6,000) less the vcpu put/load the ledger counts"),
    ])

    public static let xGene = CostProfile(name: "APM X-Gene", prices: [
        .trapToEL2: (72, "[NEVE] entering EL2 68-76 cycles on X-Gene"),
        .eret: (65, "[NEVE] returning from EL2 65 cycles on X-Gene"),
        .hvcToEL2: (72, "[NEVE] entering EL2"),
        .eretToHost: (65, "[NEVE] returning from EL2"),
        .sysregReadEL1: (25, "[ISCA16] EL1 state save on X-Gene (hypercall breakdown)"),
        .sysregWriteEL1: (50, "[ISCA16] EL1 state restore on X-Gene"),
        .sysregReadEL2: (25, "[ISCA16] EL2 configuration accesses"),
        .sysregWriteEL2: (55, "[ISCA16] trap configuration and VTTBR writes"),
        .sysregReadTimer: (25, "[ISCA16] timer state save"),
        .sysregWriteTimer: (50, "[ISCA16] timer state restore"),
        .gprSave: (1, "[ISCA16] GP register save is a small share of the 6,500 cycles"),
        .gprRestore: (2, "[ISCA16] as for save"),
        .memoryAccess: (5, "X-Gene L1 load-to-use latency 5 cycles (APM X-Gene 1 documentation)"),
        .tlbMaintenance: (120, "[ISCA16] stage-2 TLB maintenance"),
        .stage2WalkStep: (35, "one descriptor fetch from L2"),
        .listRegisterRead: (200, "[ISCA16] VGIC save 3,250 cycles of a 6,500-cycle hypercall (GICv2 MMIO list registers)"),
        .listRegisterWrite: (200, "[ISCA16] VGIC restore over MMIO"),
        .ioUserReturn: (6000, "[ISCA16] I/O User vs I/O Kernel difference on X-Gene"),
    ])
}
