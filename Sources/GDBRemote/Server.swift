/// The GDB remote stub: serves one debugger on a connection while the
/// target is stopped. The emulator calls `stopped` from its instruction hook
/// and continues as the returned action says, so the guest never runs while
/// the debugger inspects it.
public final class GDBServer {
    let target: DebugTarget
    public private(set) var connection: Connection?
    var decoder = PacketDecoder()
    var noAck = false
    /// The debugger sent c/s and waits for a stop reply.
    var awaitingStop = false
    var lastSignal = StopSignal.trap
    /// The thread (vCPU, from 1) that last stopped, and the one `Hg` chose for registers and memory.
    var stoppedThread = 1
    var currentThread = 1
    var pending: [PacketDecoder.Unit] = []
    /// The last packet sent, for a retransmission on `-`.
    var lastReply: [UInt8]?
    /// Protocol chatter, for `--gdb` diagnostics (nil: quiet).
    public var log: ((String) -> Void)?

    public init(target: DebugTarget, connection: Connection) {
        self.target = target
        self.connection = connection
    }

    public var isConnected: Bool { connection?.isOpen ?? false }

    /// The target stopped with `signal` in `thread`: tells a waiting debugger
    /// and serves its requests until it resumes, kills or leaves.
    public func stopped(_ signal: StopSignal, thread: Int = 1) -> ResumeAction {
        lastSignal = signal
        stoppedThread = thread
        currentThread = thread
        if awaitingStop { reply(signal.reply(thread: thread)); awaitingStop = false }
        while let unit = nextUnit() {
            guard case .packet(let p) = unit else {
                if unit == .corrupt { connection?.send([UInt8(ascii: "-")]) }
                if unit == .nack, let last = lastReply { connection?.send(last) }  // the debugger asks for it again
                continue
            }
            if !noAck { connection?.send([UInt8(ascii: "+")]) }
            log?("gdb <- \(p.prefix(80))")
            if let action = handle(p) { return action }
        }
        return .detach
    }

    /// While the target runs: has the debugger sent Ctrl-C? (polls, never blocks)
    public func interruptRequested() -> Bool {
        guard let c = connection, c.isOpen else { return false }
        guard let bytes = c.receive(blocking: false) else { return false }
        for u in decoder.feed(bytes) {
            if u == .interrupt { return true }
            pending.append(u)
        }
        return false
    }

    /// The target has finished (exited or was stopped): tells the debugger and closes.
    public func finished(_ signal: StopSignal) {
        if awaitingStop { reply(signal.reply(thread: stoppedThread)) }
        awaitingStop = false
        connection?.shutdown()
    }

    func nextUnit() -> PacketDecoder.Unit? {
        while pending.isEmpty {
            guard let c = connection, let bytes = c.receive(blocking: true) else { return nil }
            pending += decoder.feed(bytes)
        }
        return pending.removeFirst()
    }

    func reply(_ s: String) {
        log?("gdb -> \(s.prefix(80))")
        send(Packet.frame(s))
    }

    func send(_ framed: [UInt8]) {
        lastReply = framed
        connection?.send(framed)
    }

    /// Answers one request; returns an action when the target should resume.
    func handle(_ p: String) -> ResumeAction? {
        let layout = target.layout, t = currentThread
        func register(_ n: Int) -> String {
            // Unavailable registers read as 'x' bytes (gdb shows <unavailable>).
            target.readRegister(n, thread: t).map(Hex.encode) ?? String(repeating: "xx", count: layout.size(n))
        }
        switch Command(p) {
        case .haltReason: reply(lastSignal.reply(thread: stoppedThread))
        case .readRegisters:
            reply((0..<AArch64RegisterLayout.coreCount).map(register).joined())
        case .writeRegisters(let bytes):
            var off = 0
            for n in 0..<AArch64RegisterLayout.coreCount {
                let size = layout.size(n)
                guard off + size <= bytes.count else { break }
                _ = target.writeRegister(n, Array(bytes[off..<off + size]), thread: t)
                off += size
            }
            reply("OK")
        case .readRegister(let n):
            reply(n >= 0 && n < layout.count ? register(n) : "E00")
        case .writeRegister(let n, let bytes):
            let ok = n >= 0 && n < layout.count && bytes.count == layout.size(n) && target.writeRegister(n, bytes, thread: t)
            reply(ok ? "OK" : "E00")
        case .readMemory(let a, let l):
            if let bytes = target.readMemory(address: a, length: l, thread: t) { reply(Hex.encode(bytes)) } else { reply("E14") }
        case .writeMemory(let a, let bytes):
            reply(target.writeMemory(address: a, bytes: bytes, thread: t) ? "OK" : "E14")
        case .insertBreakpoint(let a): reply(target.insertBreakpoint(a) ? "OK" : "E01")
        case .removeBreakpoint(let a): reply(target.removeBreakpoint(a) ? "OK" : "E01")
        case .continueExecution(let a):
            if let a { _ = target.writeRegister(AArch64RegisterLayout.pc, Hex.bytes(a, size: 8), thread: t) }
            awaitingStop = true
            return .proceed
        case .step(let a):
            if let a { _ = target.writeRegister(AArch64RegisterLayout.pc, Hex.bytes(a, size: 8), thread: t) }
            awaitingStop = true
            return .step(thread: t)
        case .vCont(let step, let thread):
            awaitingStop = true
            return step ? .step(thread: thread.flatMap(valid) ?? t) : .proceed
        case .vContQuery: reply("vCont;c;C;s;S")
        case .kill(let answer):
            if answer { reply("OK") }  // vKill waits for it; a bare k does not
            connection?.shutdown()
            return .kill
        case .detach:
            reply("OK")
            connection?.shutdown()
            return .detach
        case .setThread(let thread):
            if let thread { if valid(thread) == nil { reply("E01"); return nil }; currentThread = thread }
            reply("OK")
        case .threadAlive(let thread): reply(thread.flatMap(valid) != nil ? "OK" : "E01")
        case .query(let name, let args): query(name, args)
        case .unsupported: reply("")
        }
        return nil
    }

    /// `thread` if the target has it.
    func valid(_ thread: Int) -> Int? { thread >= 1 && thread <= target.threadCount ? thread : nil }

    func query(_ name: String, _ args: String) {
        switch name {
        case "Supported": reply("PacketSize=4000;qXfer:features:read+;swbreak+;QStartNoAckMode+;vContSupported+")
        case "StartNoAckMode": reply("OK"); noAck = true
        case "Attached": reply("1")
        case "C": reply("QC" + String(currentThread, radix: 16))
        case "fThreadInfo": reply("m" + (1...max(1, target.threadCount)).map { String($0, radix: 16) }.joined(separator: ","))
        case "sThreadInfo": reply("l")
        case "ThreadExtraInfo":
            // ",tid": what `info threads` shows beside each vCPU.
            let thread = Command.threadID(args).flatMap(valid)
            reply(Hex.encode(Array((thread.map { "vCPU \($0 - 1)" } ?? "").utf8)))
        case "Rcmd":
            // monitor COMMAND, hex encoded; the output goes back as console text.
            guard let bytes = Hex.decode(args[...]) else { reply("E01"); return }
            let text = target.monitor(String(decoding: bytes, as: UTF8.self), thread: currentThread)
            if !text.isEmpty { reply("O" + Hex.encode(Array(text.utf8))) }
            reply("OK")
        case "Symbol": reply("OK")
        case "Xfer":
            // features:read:target.xml:offset,length
            let parts = args.split(separator: ":")
            guard parts.count == 4, parts[0] == "features", parts[1] == "read", parts[2] == "target.xml" else { reply("E00"); return }
            let range = parts[3].split(separator: ",")
            guard range.count == 2, let off = Hex.number(range[0]), let len = Hex.number(range[1]) else { reply("E00"); return }
            let xml = Array(target.layout.targetXML.utf8)
            // Both numbers come from the client: clamp before adding (no overflow).
            let start = Int(min(off, UInt64(xml.count)))
            let end = start + Int(min(len, UInt64(xml.count - start)))
            let chunk = Array(xml[start..<end])
            send(Packet.frame([UInt8(ascii: end >= xml.count ? "l" : "m")] + chunk))
        default: reply("")
        }
    }
}
