import Foundation
import EL2
import Hypervisor
#if canImport(Glibc)
import Glibc
#endif

/// el2emu's stdin as the guest's console input (the PL011's receive FIFO).
/// A terminal is put in raw mode while the guest runs (restored by
/// `restore`), its keys go to the guest as typed, and Ctrl-A X quits, as
/// in QEMU (Ctrl-A Ctrl-A sends one Ctrl-A). A pipe or file is scripted
/// input: read to its end and taken at deterministic virtual times.
final class HostConsole {
    private var savedTerminal: termios?

    init(_ vm: VirtualMachine) {
        let tty = isatty(0) == 1
        let input = ConsoleInput(scripted: !tty)
        if tty {
            var t = termios()
            if tcgetattr(0, &t) == 0 {
                savedTerminal = t
                var raw = t
                cfmakeraw(&raw)
                raw.c_oflag = t.c_oflag   // output as before: a newline still returns the carriage
                tcsetattr(0, TCSANOW, &raw)
            }
        }
        vm.consoleInput = input
        Thread {
            var escape = false
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let n = read(0, &buffer, buffer.count)
                guard n > 0 else { input.end(); return }
                var keys: [UInt8] = []
                for b in buffer[0..<n] {
                    if tty && escape {
                        escape = false
                        if b == UInt8(ascii: "x") || b == UInt8(ascii: "X") {
                            input.end()
                            HostStop.consoleQuit.store(true, ordering: .relaxed)   // the PE stops itself: no cross-thread call into it
                            return
                        }
                        keys += b == 1 ? [1] : [1, b]
                    } else if tty && b == 1 {
                        escape = true
                    } else {
                        keys.append(b)
                    }
                }
                input.append(keys)
            }
        }.start()
    }

    /// The terminal as it was.
    func restore() {
        guard var t = savedTerminal else { return }
        tcsetattr(0, TCSANOW, &t)
        savedTerminal = nil
    }
}
