import AArch64

/// A stage-2 translation (IPA -> host PA) found in the tables.
struct Stage2Mapping: Equatable {
    /// The IPA and host PA of the block or page that contains the address.
    var ipaBase: UInt64
    var paBase: UInt64
    var size: UInt64
    var level: Int
    var readable: Bool
    var writable: Bool
    var executable: Bool
    /// Host PA of the table holding the leaf descriptor (for TLB coalescing).
    var tablePA: UInt64 = 0

    func permits(_ access: MemoryAccessKind) -> Bool {
        switch access {
        case .read: return readable
        case .write: return writable
        case .fetch: return executable
        }
    }
}

/// The kind of an access, as the abort syndrome needs it.
enum MemoryAccessKind { case read, write, fetch }

enum Stage2WalkResult: Equatable {
    case mapped(Stage2Mapping)
    case fault(FaultStatus)
}

/// The stage-2 table walker (Arm ARM D8.2 "Translation process"): reads the
/// real descriptors from host memory, starting at VTTBR_EL2.BADDR with the
/// start level and concatenation VTCR_EL2 selects. Each descriptor read is
/// one counted `stage2WalkStep`.
extension Processor {
    func stage2Walk(_ ipa: UInt64, counted: Bool = true) -> Stage2WalkResult {
        let vtcr = VTCR(raw: el2.vtcr)
        guard let start = vtcr.startLevel, vtcr.concatenatedTables != nil else {
            return .fault(.translation(level: 0))   // a reserved VTCR_EL2 configuration
        }
        guard vtcr.inputBits >= 64 || ipa >> UInt64(vtcr.inputBits) == 0 else {
            return .fault(.translation(level: start))
        }
        faults.lastWalkSteps = 0
        var table = VTTBR(raw: el2.vttbr).baseAddress & ~0xFFF
        var level = start
        while level <= 3 {
            let shift = VTCR.shift(level: level)
            // The start level may index several concatenated tables (more than 9 bits).
            let bits = level == start ? vtcr.inputBits - shift : 9
            let index = (ipa >> UInt64(shift)) & ((1 << UInt64(bits)) - 1)
            if counted { count(.stage2WalkStep) }
            faults.lastWalkSteps = level - start + 1
            guard let raw = memory.read64(table &+ index &* 8) else {
                return .fault(.synchronousExternal)   // the walk left host memory
            }
            let d = Stage2Descriptor(raw: raw)
            switch d.kind(atLevel: level) {
            case .invalid:
                return .fault(.translation(level: level))
            case .table:
                table = d.outputAddress
                level += 1
            case .block, .page:
                guard d.accessFlag else { return .fault(.accessFlag(level: level)) }
                let size: UInt64 = 1 << UInt64(shift)
                return .mapped(Stage2Mapping(ipaBase: ipa & ~(size - 1), paBase: d.outputAddress & ~(size - 1), size: size,
                                             level: level, readable: d.readable, writable: d.writable, executable: !d.executeNever,
                                             tablePA: table))
            }
        }
        return .fault(.translation(level: 3))
    }

    /// Stage 2 for one access: the mapping, or the fault to report.
    func stage2Translate(_ ipa: UInt64, _ access: MemoryAccessKind, counted: Bool = true) -> Stage2WalkResult {
        guard stage2Enabled else {
            // Stage 2 off: IPA = PA, one 4 KiB page at a time, all permissions.
            let page = ipa & ~0xFFF
            return .mapped(Stage2Mapping(ipaBase: page, paBase: page, size: 4096, level: 3, readable: true, writable: true, executable: true))
        }
        let r = stage2Walk(ipa, counted: counted)
        if case .mapped(let m) = r, !m.permits(access) { return .fault(.permission(level: m.level)) }
        return r
    }
}
