import CUnicorn

/// The MRS, MSR and SYS hooks' common case in C: per-encoding tables (see
/// `el2_sys_filter` in CUnicorn.h) let Unicorn perform the accesses the model
/// has nothing to do for, with no call into Swift.
public final class SystemInstructionFilter {
    @usableFromInline let filter: UnsafeMutablePointer<el2_sys_filter>

    /// Each table has 65,536 entries, indexed by op0:op1:CRn:CRm:op2; they must
    /// outlive the filter. An entry is 0 (Unicorn performs it), `model`, or
    /// 1 + the HCR_EL2 bit that traps the access.
    public init(mrs: UnsafePointer<UInt8>, msr: UnsafePointer<UInt8>, sys: UnsafePointer<UInt8>) {
        filter = .allocate(capacity: 1)
        filter.initialize(to: el2_sys_filter())
        filter.pointee.table = (mrs, msr, sys)
        filter.pointee.all = 1
    }

    deinit { filter.deallocate() }

    public static let model = UInt8(EL2_SYS_MODEL)

    /// HCR_EL2 as the guest runs under it (its trap bits pick the accesses the model sees).
    @inlinable public var hcr: UInt64 {
        get { filter.pointee.hcr }
        set { filter.pointee.hcr = newValue }
    }

    /// The model sees every access (the tables do not apply).
    public var all: Bool {
        get { filter.pointee.all != 0 }
        set { filter.pointee.all = newValue ? 1 : 0 }
    }

    func kind(_ k: SystemInstructionKind) -> Int32? {
        switch k {
        case .mrs: return Int32(EL2_SYS_MRS)
        case .msr: return Int32(EL2_SYS_MSR)
        case .sys: return Int32(EL2_SYS_SYS)
        case .sysl: return nil
        }
    }
}
