import AArch64
import CostModel
import EL2

/// How a VM is built and run: the design, memory, vCPUs, trap overrides,
/// the cost profile and the limits.
public struct Configuration: Sendable {
    public var mode = VirtualizationMode.nvhe
    public var ramBase: UInt64 = 0x4000_0000
    public var ramSize: UInt64 = 128 << 20
    public var cpus = 1
    /// The scheduler's slice (`--quantum`): how far (cycles) a vCPU may run
    /// ahead of the next runnable one, the bound on how early one vCPU can
    /// see another's memory writes (Scheduler.swift).
    public var quantum: UInt64 = 5_000
    /// `--hcr +TWI,-TVM`: bits forced on and off in the guest's HCR_EL2.
    public var hcrSet: HCR = []
    public var hcrClear: HCR = []
    public var profile = CostProfile.cortexA57
    public var maxInstructions: UInt64 = .max
    public var maxCycles: UInt64 = .max
    public var timeoutSeconds: Double = 0
    /// Stage 2: VTCR_EL2 (KVM's 40-bit IPA from level 1, or `.ipa32BitLevel2`).
    public var vtcr = VTCR.kvm40BitIPA
    /// Host physical placement of guest RAM: `ramHostRegions` regions from
    /// `ramHostBase`, 4 GiB apart (not identity mapped unless set so).
    public var ramHostBase: UInt64 = 0x8_0000_0000
    public var ramHostRegions = 2
    /// Map guest RAM at stage 2 only when the guest first touches a page.
    public var demandPaging = false
    /// With `demandPaging`: RAM is backed as by transparent huge pages, so a
    /// stage-2 fault maps the whole 2 MiB block around the page, as KVM does
    /// (user_mem_abort, transparent_hugepage_adjust).
    public var transparentHugepage = false
    /// The host's scheduler tick (Hz) on the EL2 physical timer: each tick
    /// that lands while a guest runs is an IRQ exit. 0: no tick.
    public var hostTickHz: UInt64 = 0
    /// Price the counted operations (the ledger). Off only to measure the pricing's
    /// own cost: the operations are still counted, and dropped at each exit.
    public var ledger = true
    /// Fast-forward polling loops on memory (exact: the same trace as spinning;
    /// EL2/Run/PollingLoop.swift). Off only to check that, or to time the spinning.
    public var fastForwardPolling = true
    /// The exception level the guest starts at: 1 (under el2emu's hypervisor,
    /// `mode` chooses its design) or 2 (the guest owns EL2 and el2emu plays the
    /// hardware and the EL3 firmware; `mode` vhe offers VHE, nvhe does not).
    public var entryEL = 1
    /// The interrupt controller (QEMU's gic-version): 3, or 2 (a GICv2
    /// distributor; GICC backed by the GICV frame at EL1, the physical one at EL2; GICv2.swift).
    public var gicVersion = 3
    /// FEAT_MTE3 (QEMU's mte=on): ID_AA64PFR1_EL1.MTE = 3, and HCR_EL2.ATA for the guest, as KVM sets it.
    public var mte = false
    /// Why this build cannot offer `mte`, if it cannot (the hardware model's word).
    public static var mteUnavailable: String? { Processor.memoryTaggingUnavailable }
    /// Where `--initrd` lies in guest RAM (named in /chosen), if given.
    public var initrd: Range<UInt64>?

    /// The largest guest RAM el2emu accepts.
    public static let maxRAM: UInt64 = 16 << 30

    public init() {}

    /// The guest's HCR_EL2: KVM's guest flags with the user's overrides.
    public var guestHCR: HCR { HCR.kvmGuest.union(mte ? [.ATA] : []).union(hcrSet).subtracting(hcrClear) }
}
