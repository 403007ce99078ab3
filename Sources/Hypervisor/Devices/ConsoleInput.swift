import Foundation

/// What is typed or piped to the guest's console: the bytes the PL011
/// receives. Filled by a reader of el2emu's stdin on its own thread.
/// Scripted input (a pipe or a file) is deterministic: the UART takes byte
/// i at a virtual time that depends only on the bytes and the guest (it
/// waits, in host time, for byte i to be read or the input to end), so the
/// same input gives the same run. Live input (a terminal) is taken as it comes.
public final class ConsoleInput: @unchecked Sendable {   // state under `lock`
    public let scripted: Bool
    private let lock = NSCondition()
    private var bytes: [UInt8] = []
    private var ended = false

    public init(scripted: Bool) { self.scripted = scripted }

    public func append(_ b: [UInt8]) {
        lock.lock(); bytes += b; lock.broadcast(); lock.unlock()
    }

    /// No more input (end of file).
    public func end() {
        lock.lock(); ended = true; lock.broadcast(); lock.unlock()
    }

    /// Byte `i`, nil if there is none (scripted: none ever; live: none yet).
    func byte(_ i: Int) -> UInt8? {
        lock.lock()
        defer { lock.unlock() }
        while scripted && i >= bytes.count && !ended { lock.wait() }
        return i < bytes.count ? bytes[i] : nil
    }
}

extension VirtualMachine {
    /// The input the PL011 receives (nil: nothing is ever received).
    public var consoleInput: ConsoleInput? {
        get { devices.devices.lazy.compactMap { $0 as? PL011 }.first?.input }
        set { for case let u as PL011 in devices.devices { u.input = newValue } }
    }
}
