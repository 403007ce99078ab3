/// Arm semihosting (`HLT #0xF000` on AArch64): operation in W0, parameter in X1.
public enum SemihostingOperation: UInt32, Sendable {
    case writeC = 0x03
    case write0 = 0x04
    case exit = 0x18
    case exitExtended = 0x20

    public static let hltImmediate: UInt16 = 0xF000
    /// SYS_EXIT reason for a normal application exit.
    public static let applicationExit: UInt64 = 0x20026
}
