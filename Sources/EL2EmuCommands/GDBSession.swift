import AArch64
import ArgumentParser
import EL2
import Foundation
import GDBRemote
import Hypervisor

/// `--gdb PORT`: the GDB stub, each vCPU a thread. A hook before every guest
/// instruction of every vCPU stops for breakpoints and single steps and
/// serves the debugger right there, inside the run, so the guest is frozen
/// exactly at the instruction gdb sees. Without `--wait-gdb` the guest runs
/// at once and a debugger can attach (or interrupt with Ctrl-C) at any time.
final class GDBSession: DebugTarget {
    let vm: VirtualMachine
    let listener: Listener
    var server: GDBServer?
    var breakpoints = Set<UInt64>()
    /// The thread (vCPU index + 1) to stop at its next instruction, if any.
    var stepThread: Int?
    var pollCountdown = 0
    let log: (String) -> Void
    let layout = AArch64RegisterLayout(systemRegisters: Processor.debugSystemRegisters.map(\.description))
    /// Instructions between checks for a new debugger or a Ctrl-C (host polling only; the guest cannot tell).
    static let pollInterval = 1 << 16

    init(vm: VirtualMachine, listener: Listener, log: @escaping (String) -> Void) {
        self.vm = vm
        self.listener = listener
        self.log = log
    }

    static func attach(to vm: VirtualMachine, port: UInt16, waitForDebugger: Bool, log: @escaping (String) -> Void) throws -> GDBSession {
        let listener: Listener
        do { listener = try Listener(port: port) } catch let e as ConnectionError { throw ValidationError("--gdb: \(e.description)") }
        let session = GDBSession(vm: vm, listener: listener, log: log)
        log("el2emu: gdb stub listening on 127.0.0.1:\(listener.port)\n")
        if waitForDebugger {
            guard let c = listener.accept(blocking: true) else { throw ValidationError("--gdb: no debugger connected") }
            session.connect(c)
            session.stepThread = 1  // stop before the boot vCPU's first instruction
        }
        for vcpu in vm.vcpus {
            let thread = vcpu.index + 1
            try vcpu.cpu.onEachInstruction { [unowned session] pc in session.beforeInstruction(pc, thread: thread) }
        }
        return session
    }

    func connect(_ c: Connection) {
        server = GDBServer(target: self, connection: c)
        // EL2EMU_GDB_LOG=1 shows the protocol exchange on stderr.
        if ProcessInfo.processInfo.environment["EL2EMU_GDB_LOG"] != nil { server?.log = { [log] in log($0 + "\n") } }
        log("el2emu: gdb connected\n")
    }

    func beforeInstruction(_ pc: UInt64, thread: Int) {
        guard let server, server.isConnected else {
            pollCountdown -= 1
            if pollCountdown <= 0 {
                pollCountdown = Self.pollInterval
                if let c = listener.accept(blocking: false) { connect(c); stop(.interrupt, thread: thread) }
            }
            return
        }
        if stepThread == thread || breakpoints.contains(pc) { stop(.trap, thread: thread); return }
        pollCountdown -= 1
        if pollCountdown <= 0 {
            pollCountdown = Self.pollInterval
            if server.interruptRequested() { stop(.interrupt, thread: thread) }
        }
    }

    func stop(_ signal: StopSignal, thread: Int) {
        guard let server else { return }
        stepThread = nil
        switch server.stopped(signal, thread: thread) {
        case .proceed: break
        case .step(let t): stepThread = t
        case .kill: vm.vcpus[thread - 1].cpu.requestStop(.error("killed by the debugger"))
        case .detach:
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

    var threadCount: Int { vm.vcpus.count }
    func vcpu(_ thread: Int) -> VCPU { vm.vcpus[max(0, min(thread - 1, vm.vcpus.count - 1))] }

    func readRegister(_ n: Int, thread: Int) -> [UInt8]? {
        let v = vcpu(thread)
        switch n {
        case 0..<AArch64RegisterLayout.coreCount: return Hex.bytes(v.debugCoreRegister(n), size: layout.size(n))
        case AArch64RegisterLayout.v0..<AArch64RegisterLayout.fpsr:
            guard v.guestStateIsOnPE else { return nil }
            let q = v.cpu.debugVector(n - AArch64RegisterLayout.v0)
            return Hex.bytes(q.low, size: 8) + Hex.bytes(q.high, size: 8)
        case AArch64RegisterLayout.fpsr: return v.guestStateIsOnPE ? Hex.bytes(v.cpu.debugFPSR, size: 4) : nil
        case AArch64RegisterLayout.fpcr: return v.guestStateIsOnPE ? Hex.bytes(v.cpu.debugFPCR, size: 4) : nil
        default:
            guard let i = layout.systemIndex(n), let value = v.debugSystemRegister(Processor.debugSystemRegisters[i]) else { return nil }
            return Hex.bytes(value, size: 8)
        }
    }

    /// Core and FP/SIMD registers of a vCPU whose state is on its PE; system registers are read-only.
    func writeRegister(_ n: Int, _ bytes: [UInt8], thread: Int) -> Bool {
        let v = vcpu(thread)
        guard v.guestStateIsOnPE else { return false }
        let value = Hex.fromLittleEndian(bytes.prefix(8))
        switch n {
        case 0..<AArch64RegisterLayout.coreCount: return v.cpu.setDebugRegister(n, value)
        case AArch64RegisterLayout.v0..<AArch64RegisterLayout.fpsr:
            v.cpu.setDebugVector(n - AArch64RegisterLayout.v0, low: value, high: Hex.fromLittleEndian(bytes.dropFirst(8)))
        case AArch64RegisterLayout.fpsr: v.cpu.setDebugFPStatus(fpsr: value)
        case AArch64RegisterLayout.fpcr: v.cpu.setDebugFPStatus(fpcr: value)
        default: return false
        }
        return true
    }

    /// Memory through the vCPU's stage 1 and stage 2; device registers (no
    /// stage-2 mapping) are read from the device, as QEMU's stub does.
    func readMemory(address: UInt64, length: Int, thread: Int) -> [UInt8]? {
        let cpu = vcpu(thread).cpu
        if let bytes = cpu.readGuest(virtual: address, count: length) { return bytes }
        guard let ipa = cpu.debugTranslate(virtual: address), (ipa & 0xFFF) &+ UInt64(length) <= 0x1000 else { return nil }
        return vm.debugReadDevice(ipa: ipa, count: length)
    }

    func writeMemory(address: UInt64, bytes: [UInt8], thread: Int) -> Bool {
        bytes.isEmpty || vcpu(thread).cpu.writeGuest(virtual: address, bytes: bytes)
    }

    func insertBreakpoint(_ address: UInt64) -> Bool { breakpoints.insert(address); return true }
    func removeBreakpoint(_ address: UInt64) -> Bool { breakpoints.remove(address); return true }

    func monitor(_ command: String, thread: Int) -> String {
        let words = command.split(separator: " ")
        switch words.map(String.init) {
        case ["info", "vcpus"], ["info", "cpus"]:
            return vm.vcpus.map { v in
                let pstate = v.debugCoreRegister(Processor.debugCPSR)
                return "\(v.index + 1 == thread ? "*" : " ") vCPU \(v.index) (thread \(v.index + 1)): \(v.debugRunState) pc=0x\(String(v.debugCoreRegister(Processor.debugPC), radix: 16)) EL\((pstate >> 2) & 3)\n"
            }.joined()
        case ["info", "el2"]:
            let v = vcpu(thread)
            let regs: [SystemRegister] = [.HCR_EL2, .VTTBR_EL2, .VTCR_EL2, .ESR_EL2, .FAR_EL2, .HPFAR_EL2, .ELR_EL2, .SPSR_EL2, .VBAR_EL2, .ICH_HCR_EL2]
            var text = regs.map { "\($0.description.padding(toLength: 12, withPad: " ", startingAt: 0)) 0x\(String(v.debugSystemRegister($0) ?? 0, radix: 16))\n" }.joined()
            let hcr = v.debugSystemRegister(.HCR_EL2) ?? 0
            text += "HCR_EL2 bits: " + HCR.named.filter { hcr & $0.1.rawValue != 0 }.map(\.0).joined(separator: " ") + "\n"
            return text
        default:
            return "el2emu monitor commands:\n  info vcpus   each vCPU (gdb thread): scheduler state, pc, EL\n  info el2     the EL2 registers of the selected vCPU, HCR_EL2 decoded\n"
        }
    }
}
