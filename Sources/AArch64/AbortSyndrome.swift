/// Data and instruction abort syndromes (EC 0x24/0x25 DABT, 0x20/0x21 IABT;
/// Linux esr.h ESR_ELx_ISV..., QEMU syndrome.h syn_data_abort_*).
/// DABT ISS: ISV[24] SAS[23:22] SSE[21] SRT[20:16] SF[15] AR[14] EA[9]
/// CM[8] S1PTW[7] WnR[6] DFSC[5:0]. IABT ISS: EA[9] S1PTW[7] IFSC[5:0].
extension ExceptionSyndrome {
    public static func dataAbort(lowerEL: Bool = true, status: FaultStatus, isWrite: Bool, access: LoadStore? = nil,
                                 s1ptw: Bool = false, externalAbort: Bool = false) -> ExceptionSyndrome {
        var iss = status.code
        if isWrite { iss |= 1 << 6 }
        if s1ptw { iss |= 1 << 7 }
        if externalAbort { iss |= 1 << 9 }
        // No instruction syndrome for an abort on a stage-1 walk: the access is not the instruction's.
        if let a = access, a.syndromeValid, !s1ptw {
            iss |= 1 << 24 | UInt32(a.sizeLog2 & 3) << 22 | UInt32(a.rt & 31) << 16
            if a.signExtend { iss |= 1 << 21 }
            if a.sixtyFourBit { iss |= 1 << 15 }
            if a.acquireRelease { iss |= 1 << 14 }
        }
        return ExceptionSyndrome(ec: lowerEL ? .dataAbortLowerEL : .dataAbortCurrentEL, iss: iss)
    }

    public static func instructionAbort(lowerEL: Bool = true, status: FaultStatus, s1ptw: Bool = false) -> ExceptionSyndrome {
        ExceptionSyndrome(ec: lowerEL ? .instructionAbortLowerEL : .instructionAbortCurrentEL,
                          iss: status.code | (s1ptw ? 1 << 7 : 0))
    }

    // MARK: Decoders

    public var isv: Bool { iss & (1 << 24) != 0 }
    /// Access size in bytes (ISS.SAS), valid with ISV.
    public var accessSize: Int { 1 << Int((iss >> 22) & 3) }
    public var sse: Bool { iss & (1 << 21) != 0 }
    public var srt: Int { Int((iss >> 16) & 31) }
    public var sf: Bool { iss & (1 << 15) != 0 }
    public var ar: Bool { iss & (1 << 14) != 0 }
    public var ea: Bool { iss & (1 << 9) != 0 }
    public var s1ptw: Bool { iss & (1 << 7) != 0 }
    public var wnr: Bool { iss & (1 << 6) != 0 }
    public var faultStatus: FaultStatus? { FaultStatus(code: iss & 0x3F) }
}

/// HPFAR_EL2: FIPA = IPA[47:12] at bits [43:4] (Arm ARM D17.2.49).
public enum HPFAR {
    public static func encode(ipa: UInt64) -> UInt64 { (ipa >> 12) << 4 & 0x0000_0FFF_FFFF_FFF0 }
    /// The faulting IPA's page (KVM's kvm_vcpu_get_fault_ipa).
    public static func pageIPA(_ hpfar: UInt64) -> UInt64 { (hpfar & 0x0000_0FFF_FFFF_FFF0) << 8 }
}
