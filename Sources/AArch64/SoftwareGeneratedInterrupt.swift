/// ICC_SGI1R_EL1, the write that generates a Group 1 SGI:
/// TargetList[15:0] Aff1[23:16] INTID[27:24] Aff2[39:32] IRM[40] RS[47:44] Aff3[55:48]
/// (Linux arm-gic-v3.h ICC_SGI1R_*).
public struct SGI1R: Sendable {
    public let rawValue: UInt64
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// INTID[27:24], the SGI (ICC_SGI1R_SGI_ID_SHIFT).
    @inlinable public var intid: Int { Int(rawValue >> 24 & 0xF) }
    /// IRM[40]: to every PE but the sender (ICC_SGI1R_IRQ_ROUTING_MODE_BIT).
    @inlinable public var IRM: Bool { rawValue & (1 << 40) != 0 }
    /// RS[47:44]: the TargetList names Aff0 RS*16 to RS*16+15 (ICC_SGI1R_RS_SHIFT).
    @inlinable public var RS: UInt64 { rawValue >> 44 & 0xF }
    /// Aff3, Aff2 and Aff1, in place.
    @inlinable public var upperAffinity: UInt64 { rawValue & 0x00FF_00FF_00FF_0000 }

    /// Is the PE with this Aff0 (its Aff1-3 zero) a target?
    @inlinable public func targets(aff0: UInt64, isSender: Bool) -> Bool {
        IRM ? !isSender : upperAffinity == 0 && aff0 >> 4 == RS && rawValue & (1 << (aff0 & 0xF)) != 0
    }
}
