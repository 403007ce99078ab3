/// GDB's AArch64 core registers (feature org.gnu.gdb.aarch64.core): x0-x30,
/// sp and pc of 64 bits and cpsr of 32, numbered 0...33. Sent as target.xml
/// so gdb asks for exactly these and no FP/SIMD registers.
public enum AArch64RegisterLayout {
    public static let count = 34
    public static let sp = 31, pc = 32, cpsr = 33

    public static func size(_ n: Int) -> Int { n == cpsr ? 4 : 8 }

    public static let targetXML = """
    <?xml version="1.0"?>
    <!DOCTYPE target SYSTEM "gdb-target.dtd">
    <target version="1.0">
    <architecture>aarch64</architecture>
    <feature name="org.gnu.gdb.aarch64.core">
    \((0...30).map { "<reg name=\"x\($0)\" bitsize=\"64\" type=\"int\" regnum=\"\($0)\"/>" }.joined(separator: "\n"))
    <reg name="sp" bitsize="64" type="data_ptr" regnum="31"/>
    <reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>
    <reg name="cpsr" bitsize="32" type="int" regnum="33"/>
    </feature>
    </target>
    """
}
