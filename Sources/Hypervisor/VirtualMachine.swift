import AArch64
import CostModel
import CostModel
import EL2
import Foundation

/// A VM: guest RAM in host memory, its vCPUs, devices, the world switch of
/// the chosen design, and the ledger. It is the EL2 software: the hardware
/// calls it through `ExceptionVectors`.
public final class VirtualMachine: ExceptionVectors {
    public let configuration: Configuration
    public let memory = HostMemory()
    public let ledger: Ledger
    public let events = EventSink()
    /// The last exit record's cycles by phase: reused while no observer keeps the record.
    private var phaseCycles: [UInt64] = []
    let worldSwitch: WorldSwitch
    var stage2: Stage2!
    public private(set) var vcpus: [VCPU] = []
    var devices = DeviceBus()
    /// A device line may be high, may rise, or has its SPI listed or queued:
    /// vCPU 0's flushes sample the lines (DeviceInterrupts.swift).
    var deviceLinesArmed = false
    /// Everything the guest printed (semihosting and UART), in order.
    public private(set) var output = ""
    public var console: ((String) -> Void)?
    /// The status SYSTEM_OFF reports: 0, or a kvm-unit-tests `EXIT: STATUS=n` line's n>>1.
    var exitStatusAtPowerOff: Int32 = 0
    /// What the TVM toggle did (CacheToggle.swift), for the statistics.
    public internal(set) var tvm = TVMLog()
    var running: VCPU?
    /// The emulated distributor and redistributors' state (GICv3.swift).
    var gic = GICState(cpus: 1)
    /// The bytes of the line being printed (by bytes: "\r\n" is one Character, which no search for "\n" finds).
    var pendingLine: [UInt8] = []
    /// The stage-2 aborts the hypervisor handled, in order (GuestAbort.swift):
    /// the first `guestAbortRecordLimit` of them, so an MMIO loop cannot grow memory without bound.
    public internal(set) var guestAborts: [GuestAbortRecord] = []
    /// How many stage-2 aborts the hypervisor handled in all.
    public internal(set) var guestAbortCount = 0
    static let guestAbortRecordLimit = 1 << 16
    /// A test-only hypercall: HVC/SMC function ids 0xC600_xxxx (SMCCC vendor
    /// hypervisor service range) call it with x0...x3; its result goes to x0.
    public var testHypercall: ((_ function: UInt64, _ x1: UInt64, _ x2: UInt64, _ x3: UInt64) -> UInt64)?

    public struct SetupError: Error, CustomStringConvertible { public let description: String }

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        guard configuration.ramSize >= 1 << 20, configuration.ramSize <= Configuration.maxRAM, configuration.ramSize % 4096 == 0 else {
            throw SetupError(description: "guest RAM of \(configuration.ramSize >> 20) MiB is outside 1 MiB ... \(Configuration.maxRAM >> 30) GiB (or not a multiple of 4 KiB)")
        }
        guard (1...8).contains(configuration.cpus) else {
            throw SetupError(description: "--cpus \(configuration.cpus): el2emu runs 1 to 8 vCPUs")
        }
        guard configuration.entryEL == 1 || configuration.entryEL == 2 else {
            throw SetupError(description: "entry exception level \(configuration.entryEL): el2emu starts guests at EL1 or EL2")
        }
        if configuration.mte, let why = Configuration.mteUnavailable { throw SetupError(description: "memory tagging: \(why)") }
        ledger = Ledger(profile: configuration.profile, kinds: ExitKind.names)
        worldSwitch = configuration.mode == .vhe ? VHESwitch() : SplitModeSwitch()
        super.init()
        stage2 = try Stage2(memory: memory, configuration: configuration)
        for i in 0..<configuration.cpus {
            let cpu = try Processor(memory: memory, index: i)
            cpu.fastForwardsPollingLoops = configuration.fastForwardPolling
            cpu.maxInstructions = configuration.maxInstructions
            cpu.maxCycles = configuration.maxCycles
            if configuration.mte { cpu.enableMemoryTagging() }
            let vcpu = VCPU(index: i, vm: self, cpu: cpu, hcr: configuration.guestHCR)
            cpu.software = self
            cpu.counter = vcpu
            // The hardware's own events (guest exceptions, DAIF changes, WFI idling)
            // reach the trace only while someone listens.
            cpu.onEvent = { [unowned(unsafe) self, unowned(unsafe) cpu] e in
                if self.events.isActive { self.events.emit(.hardware(vcpu: i, time: cpu.clock.cycles, e)) }
            }
            cpu.innerShareablePeers = { [unowned self] in self.vcpus.map(\.cpu) }
            vcpus.append(vcpu)
        }
        gic = GICState(cpus: configuration.cpus)
        try devices.attachDefaults(to: self)
        events.time = { [unowned self] in self.currentCPU.clock.cycles }
        events.currentVCPU = { [unowned self] in self.running?.index ?? 0 }
    }

    /// Ends the run from outside the guest (a trace limit, a debugger's kill).
    public func requestStop(_ reason: StopReason) {
        currentCPU.requestStop(reason)
    }

    var currentCPU: Processor { (running ?? vcpus[0]).cpu }

    /// Copies `bytes` into guest RAM at guest-physical `address`.
    public func load(_ bytes: [UInt8], at address: UInt64) throws {
        guard let offset = ramOffset(address, count: bytes.count) else {
            throw SetupError(description: "cannot place \(bytes.count) bytes at 0x\(String(address, radix: 16)): outside guest RAM")
        }
        _ = offset
        guard bytes.withUnsafeBytes({ copyToGuest($0, at: address) }) else {
            throw SetupError(description: "cannot place \(bytes.count) bytes at 0x\(String(address, radix: 16)): outside guest RAM")
        }
    }

    func ramOffset(_ address: UInt64, count: Int) -> UInt64? {
        guard address >= configuration.ramBase, count >= 0 else { return nil }
        let off = address - configuration.ramBase
        guard off <= configuration.ramSize, UInt64(count) <= configuration.ramSize - off else { return nil }
        return off
    }

    /// Boots vCPU 0 at `entry` (EL1h, DAIF masked) with x0-x3 set and runs to the end.
    public func run(entry: UInt64, x0: UInt64 = 0, x1: UInt64 = 0, x2: UInt64 = 0, x3: UInt64 = 0) -> StopReason {
        let boot = vcpus[0]
        boot.context.pc = entry
        boot.context.pstate = ProcessorState.el1hMasked.raw
        boot.context.x[0] = x0
        boot.context.x[1] = x1
        boot.context.x[2] = x2
        boot.context.x[3] = x3
        boot.powerState = .on
        for v in vcpus { v.cpu.traceDAIF = events.isActive }
        if configuration.timeoutSeconds > 0 { for v in vcpus { v.cpu.setTimeout(seconds: configuration.timeoutSeconds) } }
        let reason = schedule()
        for v in vcpus { recordDeferredExit(v, resumed: false) }   // a vCPU still blocked when the run ended
        flushConsole()
        events.emit(.stop(time: currentCPU.clock.cycles, reason))
        return reason
    }

    // MARK: Exits

    func vcpu(for cpu: Processor) -> VCPU { vcpus[cpu.index] }

    func handleExit(_ cpu: Processor, kind: ExitKind) {
        // A guaranteed reference: the array's element was retained for the exit.
        Unmanaged.passUnretained(vcpus[cpu.index])._withUnsafeGuaranteedRef { handleExit($0, cpu, kind: kind) }
    }

    private func handleExit(_ vcpu: VCPU, _ cpu: Processor, kind: ExitKind) {
        let time = cpu.clock.cycles
        let pc = cpu.read(vcpu.regs.elrEL2)
        var detail = ""
        var resumes = true
        worldSwitch.exit(vcpu) {
            let (action, text) = kind == .irq ? handleIRQ(vcpu) : ExitHandlers.handle(self, vcpu)
            detail = text
            flush(vcpu)   // kvm_vgic_flush_hwstate: queued interrupts into the list registers
            if case .stop = action { resumes = false }
            return action
        }
        if cpu.isParked && vcpu.runState == .blocked {
            // Blocked: the exit is recorded once the vCPU runs again.
            vcpu.deferredExit = (time, pc, kind, detail)
            return
        }
        // Both world switches ERET to the context's PC (ELR_EL2 is restored from it).
        recordExit(vcpu, time: time, pc: pc, esr: kind == .irq ? nil : vcpu.esr, kind: kind, detail: detail,
                   returnPC: resumes && !cpu.isParked ? vcpu.context.pc : nil)
    }

    /// Prices the exit's operations in the ledger, advances virtual time by
    /// them and reports the exit to the observers.
    func recordExit(_ vcpu: VCPU, time: UInt64, pc: UInt64, esr: ExceptionSyndrome?, kind: ExitKind, detail: String, returnPC: UInt64? = nil) {
        // For stage-2 aborts: HPFAR_EL2.FIPA [43:4] holds IPA[51:12]; FAR_EL2 gives the page offset.
        func ipa() -> UInt64? {
            guard let ec = esr?.ecRaw, ec == ExceptionClass.dataAbortLowerEL.rawValue || ec == ExceptionClass.instructionAbortLowerEL.rawValue else { return nil }
            return (vcpu.hpfar & 0xFFF_FFFF_FFF0) << 8 | vcpu.far & 0xFFF
        }
        let cycles = vcpu.takeCounts { counts -> UInt64 in
            guard events.isActive else { return ledger.account(kind: kind.code, counts: counts, keepingPhases: false) }
            guard let recorder = events.directRecorder else {
                // The record copies the counts before pricing drains them.
                let copied = events.copiesCounts ? counts.counts : ExitRecord.noCounts
                let c = ledger.account(kind: kind.code, counts: counts)
                ledger.copyLastPhaseCycles(into: &phaseCycles)
                events.emit(.exit(ExitRecord(sequence: ledger.exits - 1, vcpu: vcpu.index, time: time, pc: pc, esr: esr, kind: kind.name,
                                             detail: detail, counts: copied, phaseCycles: phaseCycles, ipa: ipa(), returnPC: returnPC)))
                return c
            }
            // No record: the recorder takes the exit as plain values.
            let c = ledger.account(kind: kind.code, counts: counts)
            recorder.recordExit(sequence: ledger.exits - 1, vcpu: vcpu.index, time: time, pc: pc, esr: esr?.raw, kind: kind,
                                detail: detail, phases: ledger.lastPhases, ipa: ipa(), returnPC: returnPC)
            return c
        }
        vcpu.cpu.advanceClock(cycles: cycles)
    }

    func finish(_ vcpu: VCPU, _ action: ExitAction) {
        switch action {
        case .resume: break
        case .resumeViaUserspace:
            worldSwitch.vcpuPut(vcpu)
            vcpu.returnThroughUserspace()
            worldSwitch.vcpuLoad(vcpu)
        case .block: block(vcpu)
        case .stop(let reason): vcpu.cpu.requestStop(reason)
        }
    }

    func handleWFx(_ vcpu: VCPU) -> (ExitAction, String) {
        vcpu.advancePC()
        guard vcpu.esr.wfxIsWFE else { return (.block, "WFI: block vCPU") }
        // kvm_vcpu_on_spin: a trapped WFE gives the other vCPUs a turn.
        vcpu.cpu.yieldPE()
        return (.resume, "WFE: yield")
    }

    /// An exit's description for the trace, made only while someone listens:
    /// building strings on every exit was a good part of an exit's host time.
    func detail(_ text: @autoclosure () -> String) -> String {
        events.isActive ? text() : ""
    }

    // MARK: Output

    func emit(bytes: [UInt8]) {
        let s = String(decoding: bytes, as: UTF8.self)
        output += s
        for b in bytes {
            guard b == 0x0A else { pendingLine.append(b); continue }
            guestPrinted(line: String(decoding: pendingLine, as: UTF8.self))
            pendingLine.removeAll(keepingCapacity: true)
        }
        console?(s)
    }

    /// kvm-unit-tests report their result as `EXIT: STATUS=n` before SYSTEM_OFF.
    func guestPrinted(line: String) {
        if let r = line.range(of: "EXIT: STATUS=") {
            let digits = line[r.upperBound...].prefix { $0.isNumber }
            // A status no Int32 holds (or no digits) is a failure, never the 0 it would leave.
            exitStatusAtPowerOff = Int32(digits).map { $0 >> 1 } ?? .max
        }
    }

    func flushConsole() {
        if !pendingLine.isEmpty { guestPrinted(line: String(decoding: pendingLine, as: UTF8.self)); pendingLine = [] }
    }

    // MARK: ExceptionVectors

    public override func synchronousFromLowerEL(_ cpu: Processor) {
        // ESR_EL2 through the vCPU's routed handle: the same MRS, no routing lookup.
        Unmanaged.passUnretained(vcpus[cpu.index])._withUnsafeGuaranteedRef {
            handleExit($0, cpu, kind: ExitKind(ExceptionSyndrome(raw: cpu.read($0.regs.esr))))
        }
    }

    public override func irqFromLowerEL(_ cpu: Processor) {
        handleExit(cpu, kind: .irq)
    }

    public override func semihostingCall(_ cpu: Processor) {
        semihosting(cpu)
    }
}
