import AArch64

/// The model reading an instruction word at a virtual address (the PC's):
/// to decode an HVC/SMC/SVC immediate, a faulting load/store or a WFI.
/// Unicorn 2.1 keys its map by IPA, so a VA the guest's stage 1 maps
/// elsewhere (a kernel's 0xffff8000...) is translated first (`mapAddress`).
/// The entry that held the last word is kept, so the common case is one load
/// from host memory rather than a walk of Unicorn's memory regions; any TLB
/// removal forgets it.
extension Processor {
    func instructionWord(at va: UInt64) -> UInt32? {
        guard let address = mapAddress(ofVA: va, .fetch) else { return nil }
        if let f = tlb.lastFetch, f.size >= 4, address &- f.base <= f.size &- 4 {
            return UInt32(littleEndian: f.host.loadUnaligned(fromByteOffset: Int(address &- f.base), as: UInt32.self))
        }
        for (base, e) in tlb.entries {
            guard let host = e.host, e.size >= 4, address &- base <= e.size &- 4 else { continue }
            tlb.lastFetch = (base, e.size, host)
            return UInt32(littleEndian: host.loadUnaligned(fromByteOffset: Int(address &- base), as: UInt32.self))
        }
        return engine.readWord(address: address)
    }

    /// The bytes of a translation block Unicorn reports at `va` (a block
    /// never crosses a page, so one translation covers it).
    func blockBytes(at va: UInt64, count: Int) -> [UInt8]? {
        guard let address = mapAddress(ofVA: va, .fetch) else { return nil }
        return engine.readMemory(address: address, count: count)
    }
}
