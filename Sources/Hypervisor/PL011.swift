/// The PL011 UART (Arm DDI 0183): UARTDR at +0x00 transmits, UARTFR at +0x18
/// reports an empty transmit FIFO; the PrimeCell ID registers identify it.
final class PL011: Device {
    let name = "pl011"
    let base: UInt64
    let size: UInt64 = 0x1000
    let transmit: ([UInt8]) -> Void
    var control: UInt64 = 0x300

    init(base: UInt64, transmit: @escaping ([UInt8]) -> Void) {
        self.base = base
        self.transmit = transmit
    }

    func read(offset: UInt64, size: Int) -> UInt64 {
        switch offset {
        case 0x18: return 0x90          // TXFE | RXFE
        case 0x30: return control
        default: return PrimeCellID(part: 0x011, revision: 1).read(offset) ?? 0
        }
    }

    /// QEMU emulates the UART in user space.
    func servedInKernel(offset: UInt64) -> Bool { false }

    func write(offset: UInt64, size: Int, value: UInt64) {
        switch offset {
        case 0x00: transmit([UInt8(truncatingIfNeeded: value)])
        case 0x30: control = value
        default: break
        }
    }
}
