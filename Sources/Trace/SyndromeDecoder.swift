import AArch64

/// ESR_EL2 decoded by exception class for traces: a one-line summary in the
/// Arm ARM's assembler syntax ("MSR SCTLR_EL1, x3") and the ISS fields by
/// name (Arm ARM D17.2.37; Linux esr.h names them the same way).
public enum SyndromeDecoder {
    /// "SYS64 MSR SCTLR_EL1, x3", "HVC64 #0x0", "DABT_LOW write x1 size=4 translation fault level 3".
    public static func summary(_ esr: ExceptionSyndrome) -> String {
        let name = esr.ec?.description ?? "EC_0x" + String(esr.ecRaw, radix: 16)
        guard let ec = esr.ec else { return name + " iss=0x" + String(esr.iss, radix: 16) }
        switch ec {
        case .sys64:
            let reg = esr.sysRegister, rt = register(esr.sysRt)
            if reg.op0 == 1 { return "\(name) SYS \(reg), \(rt)" }
            return esr.sysIsRead ? "\(name) MRS \(rt), \(reg)" : "\(name) MSR \(reg), \(rt)"
        case .hvc64, .smc64, .svc64, .brk64:
            return "\(name) #0x\(String(esr.imm16, radix: 16))"
        case .wfx:
            return "\(name) \(esr.wfxIsWFE ? "WFE" : "WFI")"
        case .dataAbortLowerEL, .dataAbortCurrentEL:
            let a = Abort(esr)
            var s = "\(name) \(a.isWrite ? "write" : "read")"
            if let size = a.accessSize, let rt = a.transferRegister { s += " \(register(rt)) size=\(size)" }
            return s + " " + a.faultDescription
        case .instructionAbortLowerEL, .instructionAbortCurrentEL:
            return "\(name) fetch " + Abort(esr).faultDescription
        default:
            return name + (esr.iss != 0 ? " iss=0x" + String(esr.iss, radix: 16) : "")
        }
    }

    /// The ISS fields by name, for the jsonl trace.
    public static func fields(_ esr: ExceptionSyndrome) -> [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [("ec", .uint(UInt64(esr.ecRaw))), ("ec_name", .string(esr.ec?.description ?? "EC_0x" + String(esr.ecRaw, radix: 16))),
                                        ("il", .bool(esr.il)), ("iss", .hex(UInt64(esr.iss)))]
        switch esr.ec {
        case .sys64:
            let r = esr.sysRegister
            f += [("op0", .uint(UInt64(r.op0))), ("op1", .uint(UInt64(r.op1))), ("crn", .uint(UInt64(r.crn))),
                  ("crm", .uint(UInt64(r.crm))), ("op2", .uint(UInt64(r.op2))), ("register", .string(r.description)),
                  ("rt", .uint(UInt64(esr.sysRt))), ("direction", .string(esr.sysIsRead ? "read" : "write"))]
        case .hvc64, .smc64, .svc64, .brk64:
            f.append(("imm16", .uint(UInt64(esr.imm16))))
        case .wfx:
            f.append(("instruction", .string(esr.wfxIsWFE ? "WFE" : "WFI")))
        case .dataAbortLowerEL, .dataAbortCurrentEL, .instructionAbortLowerEL, .instructionAbortCurrentEL:
            let a = Abort(esr)
            f += [("fault", .string(a.faultKind)), ("level", a.level.map { .int(Int64($0)) } ?? .null),
                  ("fsc", .hex(UInt64(a.statusCode))), ("s1ptw", .bool(a.stage1PageTableWalk))]
            if esr.ec == .dataAbortLowerEL || esr.ec == .dataAbortCurrentEL {
                f += [("write", .bool(a.isWrite)), ("isv", .bool(a.accessSize != nil))]
                if let size = a.accessSize, let rt = a.transferRegister { f += [("size", .int(Int64(size))), ("rt", .int(Int64(rt)))] }
            }
        default: break
        }
        return f
    }

    static func register(_ n: Int) -> String { n == 31 ? "xzr" : "x\(n)" }

    /// The abort ISS (EC 0x20/0x21/0x24/0x25).
    struct Abort {
        let iss: UInt32
        init(_ esr: ExceptionSyndrome) { iss = esr.iss }
        var statusCode: UInt32 { iss & 0x3F }
        var isWrite: Bool { iss & (1 << 6) != 0 }
        var stage1PageTableWalk: Bool { iss & (1 << 7) != 0 }
        /// ISV set: SAS/SRT describe a single load or store.
        var accessSize: Int? { iss & (1 << 24) != 0 ? 1 << Int((iss >> 22) & 3) : nil }
        var transferRegister: Int? { iss & (1 << 24) != 0 ? Int((iss >> 16) & 31) : nil }
        /// DFSC/IFSC 0b00xxLL: the lookup level LL.
        var level: Int? { statusCode < 0x10 ? Int(statusCode & 3) : nil }
        var faultKind: String {
            switch statusCode {
            case 0x00...0x03: return "address size"
            case 0x04...0x07: return "translation"
            case 0x08...0x0B: return "access flag"
            case 0x0C...0x0F: return "permission"
            case 0x10: return "external abort"
            case 0x21: return "alignment"
            case 0x30: return "TLB conflict"
            default: return "fsc 0x" + String(statusCode, radix: 16)
            }
        }
        var faultDescription: String {
            level.map { "\(faultKind) fault level \($0)" } ?? "\(faultKind) fault"
        }
    }
}
