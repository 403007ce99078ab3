import Dispatch
import EL2
import Foundation

/// SIGINT, SIGTERM and SIGHUP end a run cleanly: the handler (on a dispatch
/// queue, not in signal context) only records the signal; each PE looks at
/// it within a few milliseconds and stops, and the run returns as for any
/// other stop, so the trace so far is written and closed. A second signal
/// of the same kind ends el2emu at once (the default action is restored).
enum HostSignals {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler {
                HostStop.signal.store(s, ordering: .relaxed)
                signal(s, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }
}
