/// PSCI and SMCCC function ids and return codes (Arm DEN0022, DEN0028).
public enum PSCIFunction: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case smcccVersion = 0x8000_0000
    case version = 0x8400_0000
    case cpuSuspend = 0xC400_0001
    case cpuOff = 0x8400_0002
    case cpuOn = 0xC400_0003
    case affinityInfo = 0xC400_0004
    case migrateInfoType = 0x8400_0006
    case systemOff = 0x8400_0008
    case systemReset = 0x8400_0009
    case features = 0x8400_000A
    case cpuSuspend32 = 0x8400_0001
    case cpuOn32 = 0x8400_0003
    case affinityInfo32 = 0x8400_0004

    public var description: String {
        switch self {
        case .smcccVersion: return "SMCCC_VERSION"
        case .version: return "PSCI_VERSION"
        case .cpuSuspend, .cpuSuspend32: return "CPU_SUSPEND"
        case .cpuOff: return "CPU_OFF"
        case .cpuOn, .cpuOn32: return "CPU_ON"
        case .affinityInfo, .affinityInfo32: return "AFFINITY_INFO"
        case .migrateInfoType: return "MIGRATE_INFO_TYPE"
        case .systemOff: return "SYSTEM_OFF"
        case .systemReset: return "SYSTEM_RESET"
        case .features: return "PSCI_FEATURES"
        }
    }
}

/// The answers of the calls that report a fixed value (Linux psci.h and arm-smccc.h names).
public enum PSCIAnswer {
    /// PSCI_VERSION: 1.0, major[31:16] minor[15:0] (PSCI_VERSION(1, 0)).
    @inlinable public static var version: UInt64 { 1 << 16 | 0 }
    /// SMCCC_VERSION: 1.1 (ARM_SMCCC_VERSION_1_1).
    @inlinable public static var smcccVersion: UInt64 { 1 << 16 | 1 }
    /// MIGRATE_INFO_TYPE: no Trusted OS, or one that needs no migration (PSCI_0_2_TOS_MP).
    @inlinable public static var migrateInfoType: UInt64 { 2 }
}

public enum PSCIReturn: Int64, Sendable {
    case success = 0, notSupported = -1, invalidParameters = -2, denied = -3
    case alreadyOn = -4, onPending = -5, internalFailure = -6, notPresent = -7, disabled = -8, invalidAddress = -9
    public var register: UInt64 { UInt64(bitPattern: rawValue) }
}
