import Foundation
import Synchronization

/// The host's reasons to end a run: the host-time limit (`--timeout`) and a
/// signal (SIGINT, SIGTERM). Both are looked at every `hostCheckInterval`
/// hooks or slow block-gate calls, so a guest that only exits or only takes
/// exceptions (whose blocks never reach the gate's threshold) meets them too.
public enum HostStop {
    /// The signal the host received (0: none); set from a signal source on
    /// another thread, read by every PE's host check.
    public static let signal = Atomic<Int32>(0)
    /// The console's user quit (Ctrl-A X), set from the console's reader
    /// thread; a PE stops at its next host check, as for a signal.
    public static let consoleQuit = Atomic<Bool>(false)
    /// When the host began the run, if it says so (`markStart`): `--timeout`
    /// then counts from there, loading included; else from the PE's start.
    nonisolated(unsafe) static var start: UInt64 = 0
    public static func markStart() { start = monotonicNanoseconds() }
}

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Processor {
    /// Hooks or slow gate calls between two looks at the host clock: at most
    /// a few milliseconds of host time, even in a debug build.
    static let hostCheckInterval = 16

    /// Sets a host wall-clock limit for `run()`; 0, a negative or non-finite
    /// value, or one too large for the clock means none.
    public func setTimeout(seconds: Double) {
        hostTimeoutSeconds = seconds
        let ns = seconds * 1e9
        let from = HostStop.start != 0 ? HostStop.start : monotonicNanoseconds()
        hostDeadline = ns >= 1 && ns < 1e18 ? from &+ UInt64(ns) : .max
    }

    /// Counts one hook or slow gate call; every `hostCheckInterval`th looks at the host.
    @inline(__always)
    func countHostCheck() {
        hostCheckCountdown &-= 1
        if hostCheckCountdown <= 0 { checkHostLimits() }
    }

    func checkHostLimits() {
        hostCheckCountdown = Processor.hostCheckInterval
        let s = HostStop.signal.load(ordering: .relaxed)
        if s != 0 {
            requestStop(.hostSignal(s))
        } else if HostStop.consoleQuit.load(ordering: .relaxed) {
            requestStop(.guestExit(status: 0, how: "Ctrl-A X on the console"))
        } else if hostDeadline != .max, monotonicNanoseconds() >= hostDeadline {
            requestStop(.wallClockTimeout(seconds: hostTimeoutSeconds))
        }
    }
}
