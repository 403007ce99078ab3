import AArch64
import Unicorn

/// The two address spaces Unicorn's memory hooks and map may speak: the
/// guest's virtual addresses (Unicorn 2.0) or the output of QEMU's stage-1
/// walk, the IPA (2.1). The stage-2 TLB is keyed by IPA; FAR and ELR take the VA.
extension Processor {
    /// The address Unicorn looks its map up by for an access at `va`: the VA
    /// itself on 2.0, its stage-1 IPA on 2.1 (nil when stage 1 faults).
    func mapAddress(ofVA va: UInt64, _ kind: MemoryAccessKind) -> UInt64? {
        guard mapsPhysicalAddresses, guestMMUEnabled else { return va }
        guard case (.ipa(let ipa), _) = uncountedStage1(va, kind) else { return nil }
        return ipa
    }

    /// The VA of an access Unicorn 2.1 reported by its IPA: a fetch is at the
    /// PC's page (an A64 translation block never crosses a page), a load or
    /// store at the first or last byte's page of the address the instruction
    /// computes; the one whose stage-1 output is the reported page. A
    /// candidate whose walk does not end in an IPA (a walk the model cannot
    /// do, a table outside RAM) is returned as it is: taking the access
    /// again from its VA ends the same way, with the walk's own message.
    func virtualAddress(ofReported ipa: UInt64, _ kind: MemoryAccessKind, pc: UInt64, access: LoadStore?) -> UInt64? {
        guard guestMMUEnabled else { return ipa }
        var pages: [UInt64] = []
        if kind == .fetch {
            pages = [pc]
        } else if let ls = access {
            let first = ls.address(pc: pc, sp: engine.read(.sp)) { self.engine.read(.x($0)) }
            pages = [first, first &+ UInt64(ls.totalBytes - 1)]
        }
        for page in pages {
            let va = page & ~0xFFF | ipa & 0xFFF
            guard case (.ipa(let x), _) = uncountedStage1(va, kind) else { return va }
            if x == ipa { return va }
        }
        return nil
    }

    /// A stage-1 walk for the model's own bookkeeping: not an operation of the exit.
    private func uncountedStage1(_ va: UInt64, _ kind: MemoryAccessKind) -> (Stage1Result, filled: Bool) {
        let saved = countingEnabled
        countingEnabled = false
        defer { countingEnabled = saved }
        return stage1Translate(va, kind, fillTables: false)
    }
}
