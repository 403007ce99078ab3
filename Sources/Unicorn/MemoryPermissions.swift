import CUnicorn

/// Page permissions of a mapping in Unicorn's memory map.
public struct MemoryPermissions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let read = MemoryPermissions(rawValue: UC_PROT_READ.rawValue)
    public static let write = MemoryPermissions(rawValue: UC_PROT_WRITE.rawValue)
    public static let exec = MemoryPermissions(rawValue: UC_PROT_EXEC.rawValue)
    public static let all: MemoryPermissions = [.read, .write, .exec]
}

/// The kind of access a memory hook reports.
public enum MemoryAccess: Sendable {
    case read, write, fetch

    init(_ t: uc_mem_type) {
        switch t {
        case UC_MEM_WRITE, UC_MEM_WRITE_UNMAPPED, UC_MEM_WRITE_PROT: self = .write
        case UC_MEM_FETCH, UC_MEM_FETCH_UNMAPPED, UC_MEM_FETCH_PROT: self = .fetch
        default: self = .read
        }
    }
}

/// The system instruction class that an instruction hook reports.
public enum SystemInstructionKind: Sendable {
    case mrs, msr, sys, sysl
}
