import AArch64

/// Where an MRS/MSR encoding issued by EL2 software goes, decided once per
/// encoding so that the world switch pays two loads per access, not a chain
/// of comparisons. The table is two-level, indexed by (op0, op1, CRn) and
/// then (CRm, op2), with one shared page for the encodings that are plain
/// EL1 registers: a few KiB that stay in the cache between exits (a flat
/// 64K-entry table missed it on most accesses). The parts that depend on
/// state (CurrentEL, HCR_EL2.E2H) are left to `Processor.resolve`.
@usableFromInline
struct RegisterRouting {
    @usableFromInline
    enum Kind: UInt8, Sendable {
        case el1            // an EL1/EL0 register in Unicorn's CPU
        case el1Redirected  // an EL1 encoding that E2H redirects to an EL2 register at EL2
        case el2            // an EL2 register of the model (`EL2Registers`)
        case el12Alias      // *_EL12/*_EL02 (op1 = 5): the EL1 register from EL2
        case icc            // ICC_*: the virtual CPU interface, or the physical one at EL2
        case ich            // ICH_*: the list registers and their controls
        case timer          // CNTP_*/CNTV_*/CNTHP_*
        case timerEL02      // CNTP_*_EL02/CNTV_*_EL02: the EL0 timer registers
    }

    @usableFromInline
    struct Entry: Equatable, Sendable {
        @usableFromInline var kind: Kind
        /// For `el2` and `el1Redirected`: the EL2 register's slot in `EL2Registers.values`.
        @usableFromInline var el2Slot: Int8 = -1
        /// For EL1 registers (reached directly, redirected-when-E2H-is-clear, or
        /// through an *_EL12 alias): the slot in `Processor.el1Known`, or -1.
        @usableFromInline var knownSlot: Int8 = -1

        @inlinable
        init(kind: Kind, el2Slot: Int8 = -1, knownSlot: Int8 = -1) {
            self.kind = kind
            self.el2Slot = el2Slot
            self.knownSlot = knownSlot
        }
    }

    /// The page of each (op0, op1, CRn); page 0 holds only plain EL1 registers.
    /// Plain buffers, built once and never freed (`shared`): every index is
    /// masked in range, so no bounds check on the world switch's accesses.
    private let pageOf: UnsafeMutablePointer<UInt8>
    /// Pages of 128 entries, indexed by (CRm, op2).
    private let pages: UnsafeMutablePointer<Entry>

    @inline(__always)
    func entry(_ r: SystemRegister) -> Entry {
        let hi = Int(r.op0 & 3) << 7 | Int(r.op1 & 7) << 4 | Int(r.crn & 15)
        return pages[Int(pageOf[hi]) << 7 | Int(r.crm & 15) << 3 | Int(r.op2 & 7)]
    }

    static func key(_ r: SystemRegister) -> Int { EL2Registers.key(r) }

    static let shared = RegisterRouting()

    /// The EL1 registers whose content `Processor` keeps track of while EL2
    /// software runs, in the order of the world switch's lists (KVM's EL1 set,
    /// then the common state): a list's values and their known copies line up
    /// slot for slot (`EL1RegisterList`). SP_EL1 and SP_EL0 are banked with the
    /// live SP: they have slots, but no encoding reaches them (`readBankedSP`).
    static let knownEL1: [SystemRegister] = SystemRegister.el1Context
        + [.MDSCR_EL1, .TPIDR_EL0, .TPIDRRO_EL0, .SP_EL0, .ACTLR_EL1]

    private init() {
        let plain = [Entry](repeating: Entry(kind: .el1), count: 128)
        var pageOf = [UInt8](repeating: 0, count: 512)
        var pages = plain
        for hi in 0..<512 {
            let page = (0..<128).map { lo in
                RegisterRouting.classify(SystemRegister(UInt8(hi >> 7), UInt8(hi >> 4 & 7), UInt8(hi & 15), UInt8(lo >> 3), UInt8(lo & 7)))
            }
            guard page != plain else { continue }
            pageOf[hi] = UInt8(pages.count / 128)
            pages += page
        }
        precondition(pages.count / 128 <= 256, "register routing: more pages than a byte indexes")
        self.pageOf = .allocate(capacity: pageOf.count)
        self.pageOf.initialize(from: pageOf, count: pageOf.count)
        self.pages = .allocate(capacity: pages.count)
        self.pages.initialize(from: pages, count: pages.count)
        for h in SystemRegisterHandle.spelledOut {
            precondition(h.entry == entry(h.register), "register routing: the spelled-out handle of \(h.register) is not the table's")
        }
    }

    private static func classify(_ r: SystemRegister) -> Entry {
        let el2Slot = EL2Registers.slotTable[key(r)]
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 0 { return Entry(kind: .icc) }
        if r.op0 == 3 && r.crn == 12 && r.crm >= 8 && r.op1 == 4 { return Entry(kind: .ich) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 3 && r.crm >= 2 { return Entry(kind: .timer) }
        if r.op0 == 3 && r.crn == 14 && r.op1 == 5 && r.crm >= 2 { return Entry(kind: .timerEL02) }
        if r == .CNTVOFF_EL2 { return Entry(kind: .el2, el2Slot: el2Slot) }
        if r.op0 == 3 && r.op1 == 4 && r.crn == 14 && r.crm == 2 { return Entry(kind: .timer) }   // CNTHP_*_EL2
        if r == .SP_EL1 { return Entry(kind: .el1) }
        if r.isEL12Alias { return Entry(kind: .el12Alias, knownSlot: knownSlot(SystemRegister(r.op0, 0, r.crn, r.crm, r.op2))) }
        if r.isEL2 { return Entry(kind: .el2, el2Slot: el2Slot) }
        let redirect = EL2Registers.redirectTable[key(r)]
        if redirect >= 0 { return Entry(kind: .el1Redirected, el2Slot: redirect, knownSlot: knownSlot(r)) }
        return Entry(kind: .el1, knownSlot: knownSlot(r))
    }

    private static func knownSlot(_ r: SystemRegister) -> Int8 { knownSlotTable[key(r)] }

    /// `knownEL1`'s slots by encoding key (-1 elsewhere): one load per encoding
    /// while the 64K-entry routing table is built, not a search.
    private static let knownSlotTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 1 << 16)
        for (i, r) in knownEL1.enumerated() where r != .SP_EL1 && r != .SP_EL0 { t[key(r)] = Int8(i) }
        precondition(knownEL1[KnownRegisters.spSlot(.SP_EL1)] == .SP_EL1 && knownEL1[KnownRegisters.spSlot(.SP_EL0)] == .SP_EL0
                     && knownEL1.count <= 32, "known EL1 registers: SP slots out of place")
        return t
    }()
}

/// A system register with its routing looked up once: EL2 software that
/// names the same registers on every exit (the world switch) keeps handles
/// and skips the table. What depends on state (HCR_EL2.E2H, CurrentEL) is
/// still decided at each access, and each access is counted as any other.
public struct SystemRegisterHandle: Sendable {
    public let register: SystemRegister
    @usableFromInline let entry: RegisterRouting.Entry

    public init(_ r: SystemRegister) { self.init(r, .shared) }

    @inline(__always)
    init(_ r: SystemRegister, _ routing: RegisterRouting) {
        register = r
        entry = routing.entry(r)
    }

    @inlinable
    init(_ r: SystemRegister, _ e: RegisterRouting.Entry) {
        register = r
        entry = e
    }
}

/// The registers the world switch names on every exit, their routing spelled
/// out as constants so that an access through one folds to its path at
/// compile time. `RegisterRouting` checks each against its table when built.
extension SystemRegisterHandle {
    @inlinable public static var elrEL2: Self { Self(.ELR_EL2, .init(kind: .el2, el2Slot: 10)) }
    @inlinable public static var spsrEL2: Self { Self(.SPSR_EL2, .init(kind: .el2, el2Slot: 9)) }
    @inlinable public static var esrEL2: Self { Self(.ESR_EL2, .init(kind: .el2, el2Slot: 11)) }
    @inlinable public static var farEL2: Self { Self(.FAR_EL2, .init(kind: .el2, el2Slot: 12)) }
    @inlinable public static var hpfarEL2: Self { Self(.HPFAR_EL2, .init(kind: .el2, el2Slot: 13)) }
    @inlinable public static var hcrEL2: Self { Self(.HCR_EL2, .init(kind: .el2, el2Slot: 0)) }
    @inlinable public static var mdcrEL2: Self { Self(.MDCR_EL2, .init(kind: .el2, el2Slot: 2)) }
    @inlinable public static var cptrEL2: Self { Self(.CPTR_EL2, .init(kind: .el2, el2Slot: 3)) }
    @inlinable public static var vttbrEL2: Self { Self(.VTTBR_EL2, .init(kind: .el2, el2Slot: 7)) }
    @inlinable public static var vbarEL2: Self { Self(.VBAR_EL2, .init(kind: .el2, el2Slot: 15)) }
    @inlinable public static var cntvoffEL2: Self { Self(.CNTVOFF_EL2, .init(kind: .el2, el2Slot: 19)) }
    // With E2H, from EL2, these reach ELR/SPSR/CPTR/VBAR_EL2.
    @inlinable public static var elrEL1: Self { Self(.ELR_EL1, .init(kind: .el1Redirected, el2Slot: 10, knownSlot: 17)) }
    @inlinable public static var spsrEL1: Self { Self(.SPSR_EL1, .init(kind: .el1Redirected, el2Slot: 9, knownSlot: 18)) }
    @inlinable public static var cpacrEL1: Self { Self(.CPACR_EL1, .init(kind: .el1Redirected, el2Slot: 3, knownSlot: 1)) }
    @inlinable public static var vbarEL1: Self { Self(.VBAR_EL1, .init(kind: .el1Redirected, el2Slot: 15, knownSlot: 10)) }
    @inlinable public static var mdscrEL1: Self { Self(.MDSCR_EL1, .init(kind: .el1, knownSlot: 19)) }
    @inlinable public static var cntvCtlEL0: Self { Self(.CNTV_CTL_EL0, .init(kind: .timer)) }
    @inlinable public static var cntvCvalEL0: Self { Self(.CNTV_CVAL_EL0, .init(kind: .timer)) }
    @inlinable public static var ichHCREL2: Self { Self(.ICH_HCR_EL2, .init(kind: .ich)) }
    @inlinable public static var ichELRSREL2: Self { Self(.ICH_ELRSR_EL2, .init(kind: .ich)) }
    @inlinable public static var ichVMCREL2: Self { Self(.ICH_VMCR_EL2, .init(kind: .ich)) }

    static var spelledOut: [Self] {
        [.elrEL2, .spsrEL2, .esrEL2, .farEL2, .hpfarEL2, .hcrEL2, .mdcrEL2, .cptrEL2, .vttbrEL2, .vbarEL2,
         .cntvoffEL2, .elrEL1, .spsrEL1, .cpacrEL1, .vbarEL1, .mdscrEL1, .cntvCtlEL0, .cntvCvalEL0,
         .ichHCREL2, .ichELRSREL2, .ichVMCREL2]
    }
}

/// Register values EL2 software already knows, kept while the guest runs so
/// an exit reads and writes Unicorn only for what changed.
@usableFromInline
struct KnownRegisters {
    /// What EL2 software last read from or wrote to the EL1 registers of
    /// `RegisterRouting.knownEL1` (bit n of `el1Mask`: slot n is known). Every
    /// guest MSR passes the model's hook, which forgets the register it
    /// writes, and exception entry to EL1 forgets ELR/SPSR/ESR/FAR
    /// (`forgetEL1`). So a split-mode exit reads only what the guest changed,
    /// and writes only what differs.
    @usableFromInline let el1: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        p.initialize(repeating: 0, count: 32)
        return p
    }()
    @usableFromInline var el1Mask: UInt32 = 0
    /// Known slots whose value Unicorn does not hold yet: EL2 software's
    /// writes reach Unicorn when it next runs or the model reads it
    /// (`Processor.flushEL1`), so a split-mode exit's host values, and the
    /// guest's written back over them, cost no Unicorn call.
    var pending: UInt32 = 0
    /// For a pending slot: the value Unicorn holds, where `unicornMask` says it is known.
    let unicorn: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        p.initialize(repeating: 0, count: 32)
        return p
    }()
    var unicornMask: UInt32 = 0
    /// SP_EL1's and SP_EL0's slots in `RegisterRouting.knownEL1` (known only while EL2 software runs).
    static func spSlot(_ r: SystemRegister) -> Int { r == .SP_EL1 ? 16 : 22 }
    static let spMask: UInt32 = 1 << 16 | 1 << 22
    /// A write may have changed SCTLR/TTBR0/TTBR1/TCR_EL1 (Stage1Regime.swift).
    var stage1Dirty = false
    var stage1Ran: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    func deallocate() { el1.deallocate(); unicorn.deallocate() }

    /// EL2 software wrote `v` to known slot `k` (a register Unicorn holds):
    /// pending until Unicorn needs it, unless Unicorn holds `v` already.
    @inline(__always)
    mutating func writeLater(_ k: Int, _ v: UInt64) {
        withUnsafePointer(to: v) { writeLater(1, at: k, $0) }
    }

    /// The same for `values[i]` into slot `base + i`, for each bit i of `list`
    /// (a world switch's restore): the masks change once, not per register.
    @inline(__always)
    mutating func writeLater(_ list: UInt32, at base: Int, _ values: UnsafePointer<UInt64>) {
        let slots = list &<< UInt32(base)
        // A slot that becomes pending: Unicorn holds its known value, if it has one.
        let fresh = slots & ~pending
        unicornMask = unicornMask & ~fresh | fresh & el1Mask
        var m = list, held: UInt32 = 0
        while m != 0 {
            let i = m.trailingZeroBitCount
            m &= m &- 1
            let k = base &+ i, b: UInt32 = 1 &<< UInt32(truncatingIfNeeded: k), v = values[i]
            if fresh & b != 0 { unicorn[k] = el1[k] }
            el1[k] = v
            if unicorn[k] == v { held |= b }
        }
        el1Mask |= slots
        held &= unicornMask
        pending = pending & ~slots | slots & ~held
    }
}
