/// HCR_EL2, the Hypervisor Configuration Register (Linux kvm_arm.h names).
public struct HCR: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let VM = HCR(rawValue: 1 << 0)
    public static let SWIO = HCR(rawValue: 1 << 1)
    public static let PTW = HCR(rawValue: 1 << 2)
    public static let FMO = HCR(rawValue: 1 << 3)
    public static let IMO = HCR(rawValue: 1 << 4)
    public static let AMO = HCR(rawValue: 1 << 5)
    public static let VF = HCR(rawValue: 1 << 6)
    public static let VI = HCR(rawValue: 1 << 7)
    public static let VSE = HCR(rawValue: 1 << 8)
    public static let FB = HCR(rawValue: 1 << 9)
    public static let BSU_IS = HCR(rawValue: 1 << 10)
    public static let DC = HCR(rawValue: 1 << 12)
    public static let TWI = HCR(rawValue: 1 << 13)
    public static let TWE = HCR(rawValue: 1 << 14)
    public static let TID0 = HCR(rawValue: 1 << 15)
    public static let TID1 = HCR(rawValue: 1 << 16)
    public static let TID2 = HCR(rawValue: 1 << 17)
    public static let TID3 = HCR(rawValue: 1 << 18)
    public static let TSC = HCR(rawValue: 1 << 19)
    public static let TIDCP = HCR(rawValue: 1 << 20)
    public static let TACR = HCR(rawValue: 1 << 21)
    public static let TSW = HCR(rawValue: 1 << 22)
    public static let TPCP = HCR(rawValue: 1 << 23)
    public static let TPU = HCR(rawValue: 1 << 24)
    public static let TTLB = HCR(rawValue: 1 << 25)
    public static let TVM = HCR(rawValue: 1 << 26)
    public static let TGE = HCR(rawValue: 1 << 27)
    public static let TDZ = HCR(rawValue: 1 << 28)
    public static let HCD = HCR(rawValue: 1 << 29)
    public static let TRVM = HCR(rawValue: 1 << 30)
    public static let RW = HCR(rawValue: 1 << 31)
    public static let E2H = HCR(rawValue: 1 << 34)
    public static let TLOR = HCR(rawValue: 1 << 35)

    /// Bit names, for `--hcr +TWI,-TVM` and for traces.
    public static let named: [(String, HCR)] = [
        ("VM", .VM), ("SWIO", .SWIO), ("PTW", .PTW), ("FMO", .FMO), ("IMO", .IMO), ("AMO", .AMO),
        ("VF", .VF), ("VI", .VI), ("VSE", .VSE), ("FB", .FB), ("BSU_IS", .BSU_IS), ("DC", .DC),
        ("TWI", .TWI), ("TWE", .TWE), ("TID0", .TID0), ("TID1", .TID1), ("TID2", .TID2), ("TID3", .TID3),
        ("TSC", .TSC), ("TIDCP", .TIDCP), ("TACR", .TACR), ("TSW", .TSW), ("TPCP", .TPCP), ("TPU", .TPU),
        ("TTLB", .TTLB), ("TVM", .TVM), ("TGE", .TGE), ("TDZ", .TDZ), ("HCD", .HCD), ("TRVM", .TRVM),
        ("RW", .RW), ("E2H", .E2H), ("TLOR", .TLOR),
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
