import AArch64
import Unicorn

/// QEMU caches stage-1 translations in its TLB and flushes it when the
/// guest's own MSR changes an ASID, a table base, TCR or SCTLR. The model's
/// writes of those registers (a TVM-trapped TTBR0 write the hypervisor
/// emulates, a world switch's restore) go through Unicorn's raw register
/// writes, which do not flush: without this, a process ran on the previous
/// one's translations and every fork and pipe of Linux's userspace
/// segfaulted. A flush is due only when the values the guest runs with differ
/// from the last ones it ran with (a world switch through the host's values
/// and back needs none).
extension Processor {
    @inline(__always)
    func syncStage1Regime() {
        // Inline: most ERETs follow no write to these registers.
        guard known.stage1Dirty else { return }
        syncDirtyStage1Regime()
    }

    @inline(never)
    private func syncDirtyStage1Regime() {
        known.stage1Dirty = false
        let now = (el1Value(.SCTLR_EL1), el1Value(.TTBR0_EL1), el1Value(.TTBR1_EL1), el1Value(.TCR_EL1))
        guard now != known.stage1Ran else { return }
        known.stage1Ran = now
        engine.flushTLB()
    }
}
