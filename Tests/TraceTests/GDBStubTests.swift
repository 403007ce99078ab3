import Foundation
import GuestBuild
import XCTest

/// gdb-multiarch against `el2emu run --gdb`: break at a symbol of the hello
/// guest, continue, read registers, step, kill.
final class GDBStubTests: XCTestCase {
    let gdb = "/usr/bin/gdb-multiarch"

    /// Starts el2emu with the stub on a port of the kernel's choosing and returns it with the port.
    func startStub(_ elf: String, extra: [String] = []) throws -> (Process, Int, Pipe) {
        let p = Process()
        p.executableURL = el2emuBinary
        p.arguments = ["run", elf, "--gdb", "0"] + extra
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        // The first stderr line names the port.
        var text = ""
        let handle = err.fileHandleForReading
        while !text.contains("\n") {
            let d = handle.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        let port = try XCTUnwrap(text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression).flatMap { Int(text[$0].split(separator: ":")[1]) }, text)
        return (p, port, out)
    }

    func runGDB(_ elf: String, port: Int, commands: [String]) throws -> String {
        let g = Process()
        g.executableURL = URL(fileURLWithPath: gdb)
        g.arguments = ["-batch", "-nx", "-ex", "set confirm off", "-ex", "target remote 127.0.0.1:\(port)"] + commands.flatMap { ["-ex", $0] } + [elf]
        let out = Pipe()
        g.standardOutput = out
        g.standardError = out
        try g.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        g.waitUntilExit()
        return text
    }

    func testBreakAtMainContinueReadRegistersStepAndKill() throws {
        guard FileManager.default.isExecutableFile(atPath: gdb) else { throw XCTSkip("gdb-multiarch is not installed (scripts/install-deps.sh --test)") }
        let elf = try FirmwareBuilder().build("hello").path
        let (stub, port, _) = try startStub(elf, extra: ["--wait-gdb"])
        defer { if stub.isRunning { stub.terminate() } }
        let text = try runGDB(elf, port: port, commands: [
            "p/x $pc", "break main", "continue", "p/x $pc", "info symbol $pc", "p/x $sp", "p/x $cpsr", "stepi", "p/x $pc",
            "x/1xw 0x40080000", "kill",
        ])
        stub.waitUntilExit()
        let values = text.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(values.count, 5, text)
        XCTAssertEqual(values[0], "0x40080000", "--wait-gdb stops at the entry point (_start)")
        XCTAssertTrue(text.contains("Breakpoint 1, "), text)
        XCTAssertTrue(text.contains("in main ()"), text)
        XCTAssertTrue(text.contains("main + 4 in section .text") || text.contains("main in section .text"), text)
        let atMain = try XCTUnwrap(UInt64(values[1].dropFirst(2), radix: 16))
        XCTAssertEqual(values[2].count > 2, true)
        XCTAssertEqual(values[3], "0x600003c5", "EL1h with DAIF masked and Z/C set by the bss loop's last compare")
        XCTAssertEqual(values[4], "0x" + String(atMain + 4, radix: 16), "one instruction stepped")
        // The first word of _start: mov x19, x0.
        XCTAssertTrue(text.contains("0x40080000 <_start>:\t0xaa0003f3"), text)
        XCTAssertEqual(stub.terminationStatus, 126, "killed by the debugger")
    }

    func testContinueToTheEndReportsTheGuestExitStatus() throws {
        guard FileManager.default.isExecutableFile(atPath: gdb) else { throw XCTSkip("gdb-multiarch is not installed (scripts/install-deps.sh --test)") }
        let elf = try FirmwareBuilder().build("hello").path
        let (stub, port, out) = try startStub(elf, extra: ["--wait-gdb"])
        defer { if stub.isRunning { stub.terminate() } }
        let text = try runGDB(elf, port: port, commands: ["continue"])
        stub.waitUntilExit()
        XCTAssertTrue(text.contains("exited normally"), text)
        XCTAssertEqual(stub.terminationStatus, 0)
        XCTAssertTrue(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("PASS PSCI 1.0 over HVC"))
    }

    func testWaitGDBWithoutGDBIsRefused() throws {
        let r = try el2emu(["run", "--wait-gdb"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--wait-gdb needs --gdb PORT"), r.stderr)
    }

    func testDebuggerCanAttachToARunningGuestAndInterruptIt() throws {
        guard FileManager.default.isExecutableFile(atPath: gdb) else { throw XCTSkip("gdb-multiarch is not installed (scripts/install-deps.sh --test)") }
        // A raw guest that spins forever: b .
        let dir = try temporaryDirectory("gdb-attach")
        let image = dir.appendingPathComponent("spin.bin")
        try Data([0x00, 0x00, 0x00, 0x14]).write(to: image)
        let (stub, port, _) = try startStub(image.path, extra: ["--format", "binary", "--timeout", "60"])
        defer { if stub.isRunning { stub.terminate() } }
        let g = Process()
        g.executableURL = URL(fileURLWithPath: gdb)
        g.arguments = ["-batch", "-nx", "-ex", "set confirm off", "-ex", "set architecture aarch64", "-ex", "target remote 127.0.0.1:\(port)",
                       "-ex", "x/i $pc", "-ex", "kill"]
        let out = Pipe()
        g.standardOutput = out
        g.standardError = out
        try g.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        g.waitUntilExit()
        stub.waitUntilExit()
        // The guest was stopped where it spins: the instruction at pc branches to itself.
        let m = try XCTUnwrap(text.range(of: #"=> 0x([0-9a-f]+)(?: <[^>]*>)?:\s+b\s+0x([0-9a-f]+)"#, options: .regularExpression), text)
        let parts = text[m].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
        XCTAssertEqual(parts[1], parts.last, text)
        XCTAssertEqual(stub.terminationStatus, 126, "killed by the debugger")
    }

    /// A session as a hypervisor developer has it on QEMU: each vCPU a
    /// thread, system registers of EL1 and EL2, a SIMD register, a device
    /// register, monitor commands, and a clean kill.
    func testTwoVCPUsAsThreadsWithSystemVectorAndDeviceRegisters() throws {
        guard FileManager.default.isExecutableFile(atPath: gdb) else { throw XCTSkip("gdb-multiarch is not installed (scripts/install-deps.sh --test)") }
        let elf = try FirmwareBuilder().build("smp").path
        let (stub, port, _) = try startStub(elf, extra: ["--cpus", "2", "--wait-gdb"])
        defer { if stub.isRunning { stub.terminate() } }
        let text = try runGDB(elf, port: port, commands: [
            "break secondary_main", "continue", "info threads",
            "p/x $MPIDR_EL1", "p/x $VMPIDR_EL2", "p/x $HCR_EL2", "p/x $VBAR_EL1",
            "set $v7.d.u[1] = 0x1234", "p/x $v7.d.u", "p/x $q7",
            "x/1xw 0x09000018", "thread 1", "p/x $MPIDR_EL1", "monitor info vcpus", "monitor info el2", "kill",
        ])
        stub.waitUntilExit()
        XCTAssertTrue(text.contains("Thread 2 hit Breakpoint 1, "), text)
        XCTAssertTrue(text.contains("Thread 1 (vCPU 0)"), text)
        XCTAssertTrue(text.contains("* 2    Thread 2 (vCPU 1)"), text)
        let values = text.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)) }
        XCTAssertEqual(values.count, 7, text)
        XCTAssertEqual(values[0], "0x80000001", "vCPU 1 reads its virtual MPIDR (VMPIDR_EL2), Aff0 1")
        XCTAssertEqual(values[1], "0x80000001")
        let hcr = try XCTUnwrap(UInt64(values[2].dropFirst(2), radix: 16))
        XCTAssertEqual(hcr & 0x8000_0001, 0x8000_0001, "the guest runs with HCR_EL2.VM and RW")
        XCTAssertNotEqual(values[3], "0x0", "the secondary has its vectors")
        XCTAssertEqual(values[4], "{0x0, 0x1234}", "v7's upper half was written through gdb")
        XCTAssertEqual(values[5], "{u = 0x12340000000000000000, s = 0x12340000000000000000}", "q7, the 128-bit view gdb builds on v7")
        // PL011 UARTFR: a device register (no stage-2 mapping) read from the device: TXFE and RXFE set.
        XCTAssertTrue(text.contains("0x9000018:\t0x00000090"), text)
        XCTAssertEqual(values[6], "0x80000000", "thread 1 is vCPU 0")
        XCTAssertTrue(text.contains("* vCPU 0 (thread 1): runnable pc=0x"), text)
        XCTAssertTrue(text.contains("HCR_EL2 bits: VM SWIO"), text)
        XCTAssertTrue(text.contains("[Inferior 1 (Remote target) killed]"), text)
        XCTAssertFalse(text.contains("Remote connection closed"), text)
        XCTAssertEqual(stub.terminationStatus, 126, "killed by the debugger")
    }
}
