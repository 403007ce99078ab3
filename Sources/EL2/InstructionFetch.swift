import AArch64

/// The model reading an instruction word at an address of Unicorn's map (the
/// IPA space the stage-2 TLB fills): to decode an HVC/SMC/SVC immediate, a
/// faulting load/store or a WFI. The entry that held the last word is kept,
/// so the common case is one load from host memory rather than a walk of
/// Unicorn's memory regions; any TLB removal forgets it.
extension Processor {
    func instructionWord(at address: UInt64) -> UInt32? {
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
}
