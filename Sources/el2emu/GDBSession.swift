import ArgumentParser
import EL2
import Foundation
import GDBRemote
import Hypervisor

/// `--gdb PORT`: the GDB stub on vCPU 0's EL1 view. A hook before every guest
/// instruction stops for breakpoints and single steps and serves the
/// debugger right there, inside the run, so the guest is frozen exactly at
/// the instruction gdb sees. Without `--wait-gdb` the guest runs at once and
/// a debugger can attach (or interrupt with Ctrl-C) at any time.
final class GDBSession: DebugTarget {
    let cpu: Processor
    let listener: Listener
    var server: GDBServer?
    var breakpoints = Set<UInt64>()
    var stepping = false
    var pollCountdown = 0
    let log: (String) -> Void
    /// Instructions between checks for a new debugger or a Ctrl-C (host polling only; the guest cannot tell).
    static let pollInterval = 1 << 16

    init(cpu: Processor, listener: Listener, log: @escaping (String) -> Void) {
        self.cpu = cpu
        self.listener = listener
        self.log = log
    }

    static func attach(to vm: VirtualMachine, port: UInt16, waitForDebugger: Bool, log: @escaping (String) -> Void) throws -> GDBSession {
        let listener: Listener
        do { listener = try Listener(port: port) } catch let e as ConnectionError { throw ValidationError("--gdb: \(e.description)") }
        let session = GDBSession(cpu: vm.vcpus[0].cpu, listener: listener, log: log)
        log("el2emu: gdb stub listening on 127.0.0.1:\(listener.port)\n")
        if waitForDebugger {
            guard let c = listener.accept(blocking: true) else { throw ValidationError("--gdb: no debugger connected") }
            session.connect(c)
            session.stepping = true  // stop before the first instruction
        }
        try session.cpu.onEachInstruction { [unowned session] pc in session.beforeInstruction(pc) }
        return session
    }

    func connect(_ c: Connection) {
        server = GDBServer(target: self, connection: c)
        // EL2EMU_GDB_LOG=1 shows the protocol exchange on stderr.
        if ProcessInfo.processInfo.environment["EL2EMU_GDB_LOG"] != nil { server?.log = { [log] in log($0 + "\n") } }
        log("el2emu: gdb connected\n")
    }

    func beforeInstruction(_ pc: UInt64) {
        guard let server, server.isConnected else {
            pollCountdown -= 1
            if pollCountdown <= 0 {
                pollCountdown = Self.pollInterval
                if let c = listener.accept(blocking: false) { connect(c); stop(.interrupt) }
            }
            return
        }
        if stepping || breakpoints.contains(pc) { stop(.trap); return }
        pollCountdown -= 1
        if pollCountdown <= 0 {
            pollCountdown = Self.pollInterval
            if server.interruptRequested() { stop(.interrupt) }
        }
    }

    func stop(_ signal: StopSignal) {
        guard let server else { return }
        switch server.stopped(signal) {
        case .proceed: stepping = false
        case .step: stepping = true
        case .kill:
            stepping = false
            cpu.requestStop(.error("killed by the debugger"))
        case .detach:
            stepping = false
            breakpoints.removeAll()
            self.server = nil
            log("el2emu: gdb detached\n")
        }
    }

    /// The run ended: tell a waiting debugger how.
    func finish(_ reason: StopReason) {
        if case .guestExit(let status, _) = reason { server?.finished(.exited(status)) } else { server?.finished(.terminated) }
    }

    // MARK: DebugTarget (uncounted: the debugger is not part of the model)

    func readRegister(_ n: Int) -> UInt64 { cpu.debugRegister(n) }
    func writeRegister(_ n: Int, _ value: UInt64) -> Bool { cpu.setDebugRegister(n, value) }
    func readMemory(address: UInt64, length: Int) -> [UInt8]? { cpu.readGuest(virtual: address, count: length) }
    func writeMemory(address: UInt64, bytes: [UInt8]) -> Bool { bytes.isEmpty || cpu.writeGuest(virtual: address, bytes: bytes) }
    func insertBreakpoint(_ address: UInt64) -> Bool { breakpoints.insert(address); return true }
    func removeBreakpoint(_ address: UInt64) -> Bool { breakpoints.remove(address); return true }
}
