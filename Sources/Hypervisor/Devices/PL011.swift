/// The PL011 UART (Arm DDI 0183): UARTDR at +0x00 transmits and reads the
/// receive FIFO, UARTFR at +0x18 reports the FIFOs' state, UARTIMSC/RIS/MIS/ICR
/// (+0x38..+0x44) the receive interrupt, which drives SPI 33 (QEMU virt's
/// UART line); the PrimeCell ID registers identify it. The transmit FIFO is
/// always empty. Received bytes come from `input` (ConsoleInput), one per
/// character time at 115200 baud of virtual time, while the FIFO has room.
final class PL011: Device {
    let name = "pl011"
    let base: UInt64
    let size: UInt64 = 0x1000
    let transmit: ([UInt8]) -> Void
    var control: UInt64 = 0x300
    var lineControl: UInt64 = 0
    var interruptMask: UInt32 = 0

    // The receive side.
    var input: ConsoleInput?
    let cycles: () -> UInt64
    /// Cycles per character at 115200 baud, 10 bits a character, 2 GHz.
    static let characterTime: UInt64 = 2_000_000_000 / 11_520
    var receiveFIFO: [UInt8] = []
    var nextInput = 0
    var lastArrival: UInt64 = 0
    /// Input arrives only once the guest listens (the port is open): it
    /// unmasks the receive interrupt, or it polls for input. Linux's driver
    /// drains the FIFO as it starts the port, so what came before would be
    /// lost, as on a real line.
    var receiving = false
    /// UARTFR reads in a row with nothing transmitted or read in between.
    /// A console writer reads it at most twice per byte it sends (TXFF before,
    /// BUSY after); a guest reading it more often without sending anything is
    /// waiting for RXFE to clear: polling for input, as kvm-unit-tests'
    /// getchar does with the receive interrupt masked.
    var statusReadsInARow = 0
    static let pollingReads = 3
    let interruptLine: Int? = 33

    /// RXRIS and RTRIS (bits 4, 6): while the receive FIFO holds data, as the
    /// Linux driver's reading until RXFE expects.
    static let receiveInterrupts: UInt32 = 1 << 4 | 1 << 6

    init(base: UInt64, input: ConsoleInput? = nil, cycles: @escaping () -> UInt64 = { 0 }, transmit: @escaping ([UInt8]) -> Void) {
        self.base = base
        self.input = input
        self.cycles = cycles
        self.transmit = transmit
    }

    /// UARTLCR_H.FEN: 32 entries with the FIFOs on, one without.
    var depth: Int { lineControl & (1 << 4) != 0 ? 32 : 1 }

    /// Moves the bytes that have arrived by now into the FIFO, while it has room.
    func receive() {
        guard let input, receiving else { return }
        let now = cycles()
        while receiveFIFO.count < depth {
            let arrival = lastArrival &+ PL011.characterTime
            guard arrival <= now, let b = input.byte(nextInput) else { return }
            receiveFIFO.append(b)
            nextInput += 1
            lastArrival = input.scripted ? arrival : now
        }
    }

    func startReceiving() {
        guard !receiving else { return }
        receiving = true
        lastArrival = cycles()
    }

    var rawInterrupts: UInt32 {
        receive()
        return receiveFIFO.isEmpty ? 0 : PL011.receiveInterrupts
    }

    /// Unmasked, with data or more to come (live input may come at any time).
    var lineCanRise: Bool {
        guard interruptMask & PL011.receiveInterrupts != 0, let input else { return false }
        return !receiveFIFO.isEmpty || !input.scripted || input.byte(nextInput) != nil
    }
    var lineLevel: Bool { rawInterrupts & interruptMask != 0 }

    /// When the next byte arrives, if the FIFO is empty and one will.
    var lineRiseTime: UInt64? {
        guard lineCanRise, receiving, receiveFIFO.isEmpty, let input else { return nil }
        guard input.byte(nextInput) != nil else { return nil }
        return input.scripted ? lastArrival &+ PL011.characterTime : max(cycles(), lastArrival &+ PL011.characterTime)
    }

    func read(offset: UInt64, size: Int) -> UInt64 {
        switch offset {
        case 0x00:
            statusReadsInARow = 0
            receive()
            return receiveFIFO.isEmpty ? 0 : UInt64(receiveFIFO.removeFirst())
        case 0x18:
            statusReadsInARow += 1
            if statusReadsInARow >= PL011.pollingReads { startReceiving() }
            receive()
            // TXFE, RXFF, RXFE.
            return 0x80 | (receiveFIFO.count >= depth ? 0x40 : 0) | (receiveFIFO.isEmpty ? 0x10 : 0)
        case 0x2C: return lineControl
        case 0x30: return control
        case 0x38: return UInt64(interruptMask)
        case 0x3C: return UInt64(rawInterrupts)
        case 0x40: return UInt64(rawInterrupts & interruptMask)
        default: return PrimeCellID(part: 0x011, revision: 1).read(offset) ?? 0
        }
    }

    /// QEMU emulates the UART in user space.
    func servedInKernel(offset: UInt64) -> Bool { false }

    func write(offset: UInt64, size: Int, value: UInt64) {
        statusReadsInARow = 0
        switch offset {
        case 0x00: transmit([UInt8(truncatingIfNeeded: value)])
        case 0x2C: lineControl = value & 0xFF
        case 0x30: control = value
        case 0x38:
            interruptMask = UInt32(truncatingIfNeeded: value) & 0x7FF
            if interruptMask & PL011.receiveInterrupts == 0 { receiving = false } else { startReceiving() }
        default: break   // UARTICR: the receive interrupts follow the FIFO's level
        }
    }
}
