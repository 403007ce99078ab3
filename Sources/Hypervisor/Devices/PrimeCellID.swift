/// The AMBA PrimeCell identification registers at 0xFE0-0xFFC of every
/// PrimeCell device: PeriphID0-3 (part number, designer 0x41 Arm, revision)
/// then CellID0-3, the fixed 0xB105F00D preamble.
struct PrimeCellID {
    let part: UInt16
    let revision: UInt8

    /// The byte the register at `offset` reads, if `offset` is an ID register.
    func read(_ offset: UInt64) -> UInt64? {
        switch offset {
        case 0xFE0: return UInt64(part & 0xFF)
        case 0xFE4: return UInt64(part >> 8 & 0xF) | 0x10          // designer 0x41, low nibble
        case 0xFE8: return UInt64(revision) << 4 | 0x4               // designer 0x41, high bits
        case 0xFEC: return 0x00
        case 0xFF0: return 0x0D
        case 0xFF4: return 0xF0
        case 0xFF8: return 0x05
        case 0xFFC: return 0xB1
        default: return nil
        }
    }
}
