/// PSTATE as SPSR_ELx holds it (AArch64): NZCV [31:28], D A I F [9:6], M [3:0].
public struct ProcessorState: Hashable, Sendable {
    public var raw: UInt64
    @inlinable public init(raw: UInt64) { self.raw = raw }

    public enum Mode: UInt8, Sendable, CustomStringConvertible {
        case el0t = 0b0000, el1t = 0b0100, el1h = 0b0101, el2t = 0b1000, el2h = 0b1001
        public var description: String {
            switch self {
            case .el0t: return "EL0t"
            case .el1t: return "EL1t"
            case .el1h: return "EL1h"
            case .el2t: return "EL2t"
            case .el2h: return "EL2h"
            }
        }
        public var exceptionLevel: Int { Int(rawValue >> 2) }
    }

    @inlinable public var mode: Mode? { Mode(rawValue: UInt8(raw & 0xF)) }
    /// M[4] = 1 means AArch32.
    @inlinable public var isAArch32: Bool { raw & 0x10 != 0 }
    @inlinable public var exceptionLevel: Int { Int((raw >> 2) & 3) }
    public var daif: InterruptMask {
        get { InterruptMask(rawValue: UInt8((raw >> 6) & 0xF)) }
        set { raw = raw & ~0x3C0 | UInt64(newValue.rawValue) << 6 }
    }

    /// The offset from VBAR_EL1 of the vector group an exception taken to EL1
    /// from this PSTATE uses: current EL with SP_EL0 / SP_ELx, lower EL
    /// AArch64 / AArch32 (Arm ARM D1.10.2). Add 0x80/0x100/0x180 for IRQ/FIQ/SError.
    public var el1VectorOffset: UInt64 {
        switch mode {
        case .el1t: return 0x000
        case .el1h: return 0x200
        default: return isAArch32 ? 0x600 : 0x400
        }
    }

    /// PSTATE after reset or Linux boot entry: EL1h, DAIF all masked.
    public static let el1hMasked = ProcessorState(raw: 0x3C5)
    public static func entry(to mode: Mode) -> ProcessorState {
        ProcessorState(raw: 0x3C0 | UInt64(mode.rawValue))
    }
}

/// PSTATE.{D,A,I,F}, as the DAIFSet/DAIFClr immediate orders them (D=8, A=4, I=2, F=1).
public struct InterruptMask: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0xF }
    public static let f = InterruptMask(rawValue: 1)
    public static let i = InterruptMask(rawValue: 2)
    public static let a = InterruptMask(rawValue: 4)
    public static let d = InterruptMask(rawValue: 8)
    public static let all: InterruptMask = [.d, .a, .i, .f]

    /// "DAIF" with a dash for each clear bit, e.g. "DA-F".
    public var description: String {
        (contains(.d) ? "D" : "-") + (contains(.a) ? "A" : "-") + (contains(.i) ? "I" : "-") + (contains(.f) ? "F" : "-")
    }
}
