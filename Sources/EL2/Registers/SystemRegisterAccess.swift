import AArch64
import Unicorn

/// The counted operations EL2 software performs on the PE's registers: GPRs
/// (one by one, or all 31 as the vector's entry and exit code does:
/// GeneralPurposeRegisters.swift) and system registers, routed as the hardware routes each encoding (E2H
/// redirection, *_EL12 aliases, the virtual and physical GIC CPU interfaces,
/// the timers).
extension Processor {
    @inlinable @inline(__always)
    func count(_ op: HardwareOperation, _ n: Int = 1) {
        guard countingEnabled else { return }
        tally.add(op, n)
    }

    /// MRS from EL2 (or from the split-mode host at EL1): routes the encoding
    /// the way the hardware does, including E2H redirection.
    public func read(_ r: SystemRegister) -> UInt64 {
        read(SystemRegisterHandle(r, routing))
    }

    /// The same, routed already (`SystemRegisterHandle`). Inlinable: the
    /// world switch's accesses take the EL2 fast path with no call.
    @inlinable @inline(__always)
    public func read(_ h: SystemRegisterHandle) -> UInt64 {
        // An EL2 register, the world switch's most common access: no routing switch, no spilled registers.
        if reachesEL2(h.entry) { return readEL2(Int(h.entry.el2Slot)) }
        // A plain EL1 register whose value EL2 software knows (MDSCR_EL1 on every VHE exit): as the routed path has it.
        if let k = knownEL1Slot(h.entry), known.el1Mask & (1 &<< UInt32(k)) != 0 {
            count(.sysregReadEL1)
            return known.el1[k]
        }
        return read(h.register, routed: h.entry)
    }

    @inlinable @inline(__always)
    func readEL2(_ slot: Int) -> UInt64 {
        count(.sysregReadEL2)
        return slot >= 0 ? el2.values[slot] : 0
    }

    @usableFromInline @inline(never)
    func read(_ r: SystemRegister, routed e: RegisterRouting.Entry) -> UInt64 {
        switch resolve(r, e) {
        case .el2(let slot):
            return readEL2(slot)
        case .el1(let reg, let slot):
            count(.sysregReadEL1)
            if reg == .SP_EL1 || reg == .SP_EL0 { return readBankedSP(reg) }
            if slot >= 0 && known.el1Mask & (1 << UInt32(slot)) != 0 { return known.el1[slot] }
            let v = reg == .MDSCR_EL1 ? debug.mdscr : engine.read(SystemRegisterID(reg)) ?? 0
            if slot >= 0 { known.el1[slot] = v; known.el1Mask |= 1 << UInt32(slot) }
            return v
        case .gic(let reg):
            count(.listRegisterRead)
            return vgic.read(reg)
        case .timer(let reg):
            count(.sysregReadTimer)
            return timer.read(reg, clock: clock, cntvoff: el2.cntvoff)
        case .physicalGIC(let reg):
            count(.sysregReadEL2)
            return physicalCPUInterfaceRead(reg)
        }
    }

    public func write(_ r: SystemRegister, _ v: UInt64) {
        write(SystemRegisterHandle(r, routing), v)
    }

    @inlinable @inline(__always)
    public func write(_ h: SystemRegisterHandle, _ v: UInt64) {
        if reachesEL2(h.entry) { return writeEL2(Int(h.entry.el2Slot), v) }
        // Writing what a known plain EL1 register holds changes nothing (as the routed path has it).
        if let k = knownEL1Slot(h.entry), known.el1Mask & (1 &<< UInt32(k)) != 0 && known.el1[k] == v {
            count(.sysregWriteEL1)
            return
        }
        write(h.register, v, routed: h.entry)
    }

    /// The known slot of an encoding that reaches a plain EL1 register (no SP:
    /// those have none by encoding). Only once `reachesEL2` said no: then a
    /// redirected encoding reaches its EL1 register too.
    @inlinable @inline(__always)
    func knownEL1Slot(_ e: RegisterRouting.Entry) -> Int? {
        (e.kind == .el1 || e.kind == .el1Redirected) && e.knownSlot >= 0 ? Int(e.knownSlot) : nil
    }

    /// An EL2 register, or an *_EL1 encoding that E2H sends to one from EL2 (`resolve`).
    @inlinable @inline(__always)
    func reachesEL2(_ e: RegisterRouting.Entry) -> Bool {
        e.kind == .el2 || e.kind == .el1Redirected && el2.hcr.contains(.E2H) && currentEL == 2
    }

    @inlinable @inline(__always)
    func writeEL2(_ slot: Int, _ v: UInt64) {
        count(.sysregWriteEL2)
        guard slot >= 0 else { return }
        el2.values[slot] = v
        // HCR_EL2's IMO/FMO/VI/VF/VSE drive the virtual interrupt lines; the TLB
        // follows VTTBR/VTCR/HCR.VM at the next entry to the guest (syncTranslationRegime).
        if slot == EL2Registers.hcrSlot { updateVirtualInterruptLines() }
    }

    @usableFromInline @inline(never)
    func write(_ r: SystemRegister, _ v: UInt64, routed e: RegisterRouting.Entry) {
        switch resolve(r, e) {
        case .el2(let slot):
            writeEL2(slot, v)
        case .el1(let reg, let slot):
            count(.sysregWriteEL1)
            if reg == .SP_EL1 || reg == .SP_EL0 { writeBankedSP(reg, v); return }
            if slot >= 0 {
                // Writing what the register already holds changes nothing (and
                // spares Unicorn's CP_REG write, with its TLB flush for some).
                if known.el1Mask & (1 << UInt32(slot)) != 0 && known.el1[slot] == v { return }
                if reg.changesTranslationRegime { known.stage1Dirty = true }
                // MDSCR_EL1 is the model's (DebugRegisters.swift).
                if reg == .MDSCR_EL1 {
                    known.el1[slot] = v
                    known.el1Mask |= 1 << UInt32(slot)
                    debug.mdscr = v & 0xFFFF_FFFF
                    armDebugEvents()
                    return
                }
                known.writeLater(slot, v)
                return
            }
            if reg.changesTranslationRegime { known.stage1Dirty = true }
            engine.write(SystemRegisterID(reg), v)
        case .gic(let reg):
            count(.listRegisterWrite)
            vgic.write(reg, v)
            updateVirtualInterruptLines()
        case .timer(let reg):
            count(.sysregWriteTimer)
            timer.write(reg, v, clock: { clock }, cntvoff: el2.cntvoff)
            updateVirtualInterruptLines()
        case .physicalGIC(let reg):
            count(.sysregWriteEL2)
            physicalCPUInterfaceWrite(reg, v)
        }
    }

    /// `el2` carries the register's slot in the EL2 register file; `el1` its slot in `known.el1` (or -1).
    enum Target { case el1(SystemRegister, known: Int), el2(Int), gic(SystemRegister), timer(SystemRegister), physicalGIC(SystemRegister) }

    @inline(__always)
    func resolve(_ r: SystemRegister, _ e: RegisterRouting.Entry) -> Target {
        switch e.kind {
        case .el1: return .el1(r, known: Int(e.knownSlot))
        case .el1Redirected:
            // With E2H, an EL2 access to an *_EL1 encoding reaches the *_EL2 register.
            return el2.hcr.contains(.E2H) && currentEL == 2 ? .el2(Int(e.el2Slot)) : .el1(r, known: Int(e.knownSlot))
        case .el2: return .el2(Int(e.el2Slot))
        case .el12Alias: return .el1(SystemRegister(r.op0, 0, r.crn, r.crm, r.op2), known: Int(e.knownSlot))
        // At EL2 the ICC_* encodings reach the physical CPU interface, not the virtual one.
        case .icc: return currentEL == 2 ? .physicalGIC(r) : .gic(r)
        case .ich: return .gic(r)
        case .timer: return .timer(r)
        case .timerEL02: return .timer(SystemRegister(3, 3, 14, r.crm, r.op2))
        }
    }

    /// The guest (or the hardware) changed `r` behind EL2 software's back.
    @inline(__always)
    func forgetEL1(_ r: SystemRegister) {
        let k = routing.entry(r).knownSlot
        guard k >= 0 else { return }
        if known.pending & (1 << UInt32(k)) != 0 { flushEL1() }
        known.el1Mask &= ~(1 << UInt32(k))
    }

    /// Gives Unicorn the EL1 values EL2 software wrote that it does not hold
    /// yet (`KnownRegisters.pending`): before Unicorn runs, and before the
    /// model reads or writes its EL1 registers directly (`syncedEngine`).
    @inline(__always)
    func flushEL1() {
        let m = known.pending
        guard m != 0 else { return }
        known.pending = 0
        if m & KnownRegisters.spMask != 0 {
            let sp0 = KnownRegisters.spSlot(.SP_EL0), sp1 = KnownRegisters.spSlot(.SP_EL1)
            if m & (1 << UInt32(sp0)) != 0 { setUnicornSP(.SP_EL0, known.el1[sp0]) }
            if m & (1 << UInt32(sp1)) != 0 { setUnicornSP(.SP_EL1, known.el1[sp1]) }
        }
        engine.write(knownBatch, selected: m & ~KnownRegisters.spMask, from: known.el1)
    }

    /// An EL1 register as the CPU holds it: the value EL2 software knows
    /// (`KnownRegisters`), with no Unicorn call, where it knows one. Not while
    /// the guest owns EL2: the model moves its regime through Unicorn's registers then.
    /// Inlined: the callers name constant registers, so the routing lookup folds to two loads.
    @inline(__always)
    func el1Value(_ r: SystemRegister) -> UInt64 {
        let k = routing.entry(r).knownSlot
        if k >= 0 && ownEL2 == nil && known.el1Mask & (1 &<< UInt32(k)) != 0 { return known.el1[Int(k)] }
        return unicornEL1Value(r)
    }

    @inline(never)
    func unicornEL1Value(_ r: SystemRegister) -> UInt64 {
        syncedEngine.read(SystemRegisterID(r)) ?? 0
    }

    /// Unicorn with every EL1 value EL2 software wrote (`flushEL1`), for the
    /// model's own reads and writes of Unicorn's system registers.
    var syncedEngine: Engine {
        flushEL1()
        return engine
    }
}

extension SystemRegisterID {
    init(_ r: SystemRegister) {
        self.init(op0: UInt32(r.op0), op1: UInt32(r.op1), crn: UInt32(r.crn), crm: UInt32(r.crm), op2: UInt32(r.op2))
    }
}

extension SystemRegister {
    init(_ id: SystemRegisterID) {
        self.init(UInt8(truncatingIfNeeded: id.op0), UInt8(truncatingIfNeeded: id.op1), UInt8(truncatingIfNeeded: id.crn),
                  UInt8(truncatingIfNeeded: id.crm), UInt8(truncatingIfNeeded: id.op2))
    }
}
