import AArch64

/// What an exit is filed under in the ledger: its ESR_EL2.EC, or IRQ. A
/// number on the exit path; the name ("HVC64", "DABT_LOW", "IRQ") is made
/// only for statistics and traces.
public struct ExitKind: Hashable, Sendable {
    /// 0...63: the EC; 64: an IRQ exit.
    public let code: Int
    static let count = 65
    public static let irq = ExitKind(code: 64)

    init(code: Int) { self.code = code }
    /// The ledger's names of the kinds, by code.
    static let names = (0..<count).map { ExitKind(code: $0).name }
    init(_ esr: ExceptionSyndrome) { code = Int(esr.ecRaw & 63) }

    public var name: String {
        if code == 64 { return "IRQ" }
        let ec = UInt8(code)
        return ExceptionClass(rawValue: ec)?.description ?? "EC_0x\(String(ec, radix: 16))"
    }
}
