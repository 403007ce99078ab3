import CUnicorn

/// A failed Unicorn call, with Unicorn's own description.
public struct UnicornError: Error, CustomStringConvertible, Equatable {
    public let code: UInt32
    public init(_ err: uc_err) { code = err.rawValue }
    public var description: String { String(cString: uc_strerror(uc_err(code))) }
    /// The run stopped on an access to unmapped memory (read, write or fetch).
    public var isUnmappedAccess: Bool {
        let e = uc_err(code)
        return e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED || e == UC_ERR_FETCH_UNMAPPED
    }
    public var isProtectionFault: Bool {
        let e = uc_err(code)
        return e == UC_ERR_READ_PROT || e == UC_ERR_WRITE_PROT || e == UC_ERR_FETCH_PROT
    }
}

@inline(__always)
func check(_ err: uc_err) throws {
    if err != UC_ERR_OK { throw UnicornError(err) }
}
