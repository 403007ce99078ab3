import ArgumentParser
import Foundation
import EL2
import Hypervisor
import Trace

/// One run of a guest as the commands do it: options checked, trace opened,
/// image loaded, VM run. A run that fails still completes its trace, with
/// the error as the last event.
struct GuestRun {
    let vm: VirtualMachine
    let reason: StopReason

    /// `console`: where the guest's output goes. `prepare` runs after loading, before the guest starts (the debugger attaches there).
    static func start(_ options: GuestOptions, config: Configuration, trace: TraceOptions?,
                      console: ((String) -> Void)?, prepare: (VirtualMachine) throws -> Void = { _ in }) throws -> GuestRun {
        HostStop.markStart()   // --timeout counts loading too
        HostSignals.install()
        let writer = try trace?.openWriter(config: config)
        defer {
            writer?.finish()
            if let e = writer?.writeError { writeStandardError("el2emu: the trace file is incomplete: writing it failed: \(e)\n") }
        }
        do {
            let path = try options.imagePath()
            var config = config
            let loaded = try options.load(path, &config)
            let vm = try VirtualMachine(config)
            vm.console = console
            if let writer {
                writer.observe(vm.events)
                vm.events.copiesCounts = false   // neither traces nor statistics read them
                writer.onLimit = { [unowned vm, unowned writer] in vm.requestStop(.traceLimit(writer.limit ?? 0)) }
            }
            try vm.load(loaded)
            let dtbAddress = try vm.placeDeviceTree(options.deviceTree(config), avoiding: loaded)
            try prepare(vm)
            let r = try options.entryRegisters()
            let reason = vm.run(entry: loaded.entry, x0: r[0] ?? dtbAddress, x1: r[1] ?? 0, x2: r[2] ?? 0, x3: r[3] ?? 0)
            return GuestRun(vm: vm, reason: reason)
        } catch {
            // Nothing ran (or the debugger failed): the trace still ends with the error.
            writer?.record(.stop(time: 0, .error("\(error)")))
            throw error
        }
    }
}

func writeStandardError(_ s: String) {
    FileHandle.standardError.write(Data(s.utf8))
}

func writeStandardOutput(_ s: String) {
    FileHandle.standardOutput.write(Data(s.utf8))
}
