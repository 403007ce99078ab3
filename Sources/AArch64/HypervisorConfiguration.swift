/// HCR_EL2, the Hypervisor Configuration Register (Linux kvm_arm.h names).
/// The bits are computed constants: the exit path tests them constantly.
public struct HCR: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable public static var VM: HCR { HCR(rawValue: 1 << 0) }
    @inlinable public static var SWIO: HCR { HCR(rawValue: 1 << 1) }
    @inlinable public static var PTW: HCR { HCR(rawValue: 1 << 2) }
    @inlinable public static var FMO: HCR { HCR(rawValue: 1 << 3) }
    @inlinable public static var IMO: HCR { HCR(rawValue: 1 << 4) }
    @inlinable public static var AMO: HCR { HCR(rawValue: 1 << 5) }
    @inlinable public static var VF: HCR { HCR(rawValue: 1 << 6) }
    @inlinable public static var VI: HCR { HCR(rawValue: 1 << 7) }
    @inlinable public static var VSE: HCR { HCR(rawValue: 1 << 8) }
    @inlinable public static var FB: HCR { HCR(rawValue: 1 << 9) }
    @inlinable public static var BSU_IS: HCR { HCR(rawValue: 1 << 10) }
    @inlinable public static var DC: HCR { HCR(rawValue: 1 << 12) }
    @inlinable public static var TWI: HCR { HCR(rawValue: 1 << 13) }
    @inlinable public static var TWE: HCR { HCR(rawValue: 1 << 14) }
    @inlinable public static var TID0: HCR { HCR(rawValue: 1 << 15) }
    @inlinable public static var TID1: HCR { HCR(rawValue: 1 << 16) }
    @inlinable public static var TID2: HCR { HCR(rawValue: 1 << 17) }
    @inlinable public static var TID3: HCR { HCR(rawValue: 1 << 18) }
    @inlinable public static var TSC: HCR { HCR(rawValue: 1 << 19) }
    @inlinable public static var TIDCP: HCR { HCR(rawValue: 1 << 20) }
    @inlinable public static var TACR: HCR { HCR(rawValue: 1 << 21) }
    @inlinable public static var TSW: HCR { HCR(rawValue: 1 << 22) }
    @inlinable public static var TPCP: HCR { HCR(rawValue: 1 << 23) }
    @inlinable public static var TPU: HCR { HCR(rawValue: 1 << 24) }
    @inlinable public static var TTLB: HCR { HCR(rawValue: 1 << 25) }
    @inlinable public static var TVM: HCR { HCR(rawValue: 1 << 26) }
    @inlinable public static var TGE: HCR { HCR(rawValue: 1 << 27) }
    @inlinable public static var TDZ: HCR { HCR(rawValue: 1 << 28) }
    @inlinable public static var HCD: HCR { HCR(rawValue: 1 << 29) }
    @inlinable public static var TRVM: HCR { HCR(rawValue: 1 << 30) }
    @inlinable public static var RW: HCR { HCR(rawValue: 1 << 31) }
    @inlinable public static var E2H: HCR { HCR(rawValue: 1 << 34) }
    @inlinable public static var TLOR: HCR { HCR(rawValue: 1 << 35) }

    /// Bit names, for `--hcr +TWI,-TVM` and for traces.
    public static let named: [(String, HCR)] = [
        ("VM", .VM), ("SWIO", .SWIO), ("PTW", .PTW), ("FMO", .FMO), ("IMO", .IMO), ("AMO", .AMO),
        ("VF", .VF), ("VI", .VI), ("VSE", .VSE), ("FB", .FB), ("BSU_IS", .BSU_IS), ("DC", .DC),
        ("TWI", .TWI), ("TWE", .TWE), ("TID0", .TID0), ("TID1", .TID1), ("TID2", .TID2), ("TID3", .TID3),
        ("TSC", .TSC), ("TIDCP", .TIDCP), ("TACR", .TACR), ("TSW", .TSW), ("TPCP", .TPCP), ("TPU", .TPU),
        ("TTLB", .TTLB), ("TVM", .TVM), ("TGE", .TGE), ("TDZ", .TDZ), ("HCD", .HCD), ("TRVM", .TRVM),
        ("RW", .RW), ("E2H", .E2H), ("TLOR", .TLOR), ("ATA", .ATA),
    ]

    public static func named(_ s: String) -> HCR? {
        named.first { $0.0 == s.uppercased() }?.1
    }

    public var description: String {
        let names = HCR.named.filter { contains($0.1) }.map(\.0)
        return names.isEmpty ? "0" : names.joined(separator: "|")
    }

    /// KVM's guest trap set (kvm_arm.h HCR_GUEST_FLAGS) plus TVM, as at vCPU reset.
    public static let kvmGuest: HCR = [.TSC, .TSW, .TWE, .TWI, .VM, .BSU_IS, .FB, .TACR, .AMO, .SWIO,
                                       .TIDCP, .RW, .TLOR, .FMO, .IMO, .PTW, .TID3, .TVM]
    /// Host configuration: nVHE `RW` (API/APK/ATA absent on ARMv8.0); VHE `RW|TGE|E2H`.
    public static let hostNVHE: HCR = [.RW]
    public static let hostVHE: HCR = [.RW, .TGE, .E2H]
}
