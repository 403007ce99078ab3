import Foundation
import XCTest

/// el2emu's stdin feeds the PL011's receive FIFO: piped input reaches the
/// guest, at virtual times that depend only on the input (the same input
/// gives the same trace, byte for byte), and `--serial FILE` takes the
/// console's output.
final class ConsoleInputTests: XCTestCase {
    func run(_ arguments: [String], stdin: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try launch(try XCTUnwrap(EL2EmuCommand.executable, "el2emu is not built"), arguments, stdin: stdin)
    }

    /// Runs `executable` with `stdin` piped in, to its end.
    func launch(_ executable: URL, _ arguments: [String], stdin: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let i = Pipe(), o = Pipe(), e = Pipe()
        p.standardInput = i
        p.standardOutput = o
        p.standardError = e
        try p.run()
        i.fileHandleForWriting.write(Data(stdin.utf8))
        try i.fileHandleForWriting.close()
        let out = o.fileHandleForReading.readDataToEndOfFile(), err = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func testPipedInputReachesTheGuestDeterministically() throws {
        var traces: [Data] = []
        for mode in ["nvhe", "vhe", "vhe"] {
            let trace = EL2EmuCommand.scratch("uartecho-\(mode)-\(traces.count).txt")
            let r = try run(["run", "--guest", "uartecho", "--mode", mode, "--trace", trace.path, "--max-insns", "50000000"], stdin: "hello, guest\nmore\n")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("got: hello, guest"), r.stdout)
            XCTAssertTrue(r.stdout.contains("PASS RIS and MIS show the receive interrupts while data waits"), r.stdout)
            XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
            if mode == "vhe" { traces.append(try Data(contentsOf: trace)) }
        }
        XCTAssertEqual(traces[0], traces[1], "the same input gives the same trace")
    }

    /// kvm-unit-tests' "press a key" migration tests poll UARTFR with the
    /// receive interrupt masked: polling opens the line, as unmasking does.
    func testPolledInputReachesAGuestWithTheInterruptMasked() throws {
        for mode in ["nvhe", "vhe"] {
            let r = try run(["run", "--guest", "uartpoll", "--mode", mode, "--max-insns", "50000000"], stdin: "k")
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("press a key\nkey: k\n"), r.stdout)
            XCTAssertTrue(r.stdout.contains("PASS the FIFO is empty after the one byte"), r.stdout)
        }
    }

    /// On a terminal (a pty from util-linux's `script`), Ctrl-A X quits as in
    /// QEMU: the console's reader thread only flags it, the vCPU stops itself.
    func testCtrlAXQuitsFromATerminal() throws {
        let exe = try XCTUnwrap(EL2EmuCommand.executable, "el2emu is not built")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no util-linux script(1) for a pty") }
        // script(1) writes the terminal's output, el2emu's stderr included, to its stdout.
        let r = try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", "(sleep 1; printf '\\001x') | /usr/bin/script -qec '\(exe.path) run --guest uartecho' /dev/null"], stdin: "")
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("guest exited (Ctrl-A X on the console) with status 0"), r.stdout + r.stderr)
    }

    func testSerialWritesTheConsoleToAFile() throws {
        let serial = EL2EmuCommand.scratch("serial.txt")
        let r = try run(["run", "--guest", "uartecho", "--serial", serial.path, "--max-insns", "50000000"], stdin: "to a file\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("got:"), r.stdout)
        XCTAssertTrue(try String(contentsOf: serial, encoding: .utf8).contains("got: to a file"))
    }
}
