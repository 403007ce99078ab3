/// The registers the stub offers gdb, numbered as target.xml lists them:
/// GDB's AArch64 core feature (x0-x30, sp, pc, cpsr: 0...33), its FP/SIMD
/// feature (v0-v31 of 128 bits, fpsr, fpcr: 34...67), then the target's
/// system registers by name, in gdb's "system" group (`info registers system`).
public struct AArch64RegisterLayout: Sendable {
    public static let sp = 31, pc = 32, cpsr = 33
    public static let coreCount = 34
    public static let v0 = 34, fpsr = 66, fpcr = 67
    public static let firstSystem = 68

    public let systemRegisters: [String]
    public init(systemRegisters: [String]) { self.systemRegisters = systemRegisters }

    public var count: Int { Self.firstSystem + systemRegisters.count }

    /// The register's size in bytes.
    public func size(_ n: Int) -> Int {
        switch n {
        case Self.cpsr, Self.fpsr, Self.fpcr: return 4
        case Self.v0..<Self.fpsr: return 16
        default: return 8
        }
    }

    /// The index into `systemRegisters` of register `n`, if it is one.
    public func systemIndex(_ n: Int) -> Int? {
        n >= Self.firstSystem && n < count ? n - Self.firstSystem : nil
    }

    public var targetXML: String {
        func reg(_ name: String, _ bits: Int, _ type: String, _ n: Int, group: String? = nil) -> String {
            "<reg name=\"\(name)\" bitsize=\"\(bits)\" type=\"\(type)\" regnum=\"\(n)\"\(group.map { " group=\"\($0)\"" } ?? "")/>"
        }
        // The vector views gdb's aarch64 FP feature expects (`p $v0.d.u[1]`, `p $q0`).
        let lanes = [("d", [("f", "ieee_double"), ("u", "uint64"), ("s", "int64")], 2),
                     ("s", [("f", "ieee_single"), ("u", "uint32"), ("s", "int32")], 4),
                     ("h", [("u", "uint16"), ("s", "int16")], 8),
                     ("b", [("u", "uint8"), ("s", "int8")], 16),
                     ("q", [("u", "uint128"), ("s", "int128")], 1)]
        var types: [String] = []
        for (lane, fields, count) in lanes {
            for (f, t) in fields { types.append("<vector id=\"v\(count)\(lane)\(f)\" type=\"\(t)\" count=\"\(count)\"/>") }
            types.append("<union id=\"vn\(lane)\">" + fields.map { "<field name=\"\($0.0)\" type=\"v\(count)\(lane)\($0.0)\"/>" }.joined() + "</union>")
        }
        types.append("<union id=\"aarch64v\">" + lanes.map { "<field name=\"\($0.0)\" type=\"vn\($0.0)\"/>" }.joined() + "</union>")
        return """
        <?xml version="1.0"?>
        <!DOCTYPE target SYSTEM "gdb-target.dtd">
        <target version="1.0">
        <architecture>aarch64</architecture>
        <feature name="org.gnu.gdb.aarch64.core">
        \((0...30).map { reg("x\($0)", 64, "int", $0) }.joined(separator: "\n"))
        \(reg("sp", 64, "data_ptr", Self.sp))
        \(reg("pc", 64, "code_ptr", Self.pc))
        \(reg("cpsr", 32, "int", Self.cpsr))
        </feature>
        <feature name="org.gnu.gdb.aarch64.fpu">
        \(types.joined(separator: "\n"))
        \((0...31).map { reg("v\($0)", 128, "aarch64v", Self.v0 + $0) }.joined(separator: "\n"))
        \(reg("fpsr", 32, "int", Self.fpsr))
        \(reg("fpcr", 32, "int", Self.fpcr))
        </feature>
        <feature name="org.el2emu.aarch64.sysregs">
        \(systemRegisters.enumerated().map { reg($0.element, 64, "uint64", Self.firstSystem + $0.offset, group: "system") }.joined(separator: "\n"))
        </feature>
        </target>
        """
    }
}
