import AArch64
import EL2

/// A design for switching between the host and a vCPU: split mode (nVHE,
/// ARMv8.0) or VHE (ARMv8.1). One file per design implements it, like KVM's
/// `hyp/nvhe/switch.c` and `hyp/vhe/switch.c`.
protocol WorldSwitch: AnyObject {
    var mode: VirtualizationMode { get }
    /// The host's HCR_EL2 while it runs.
    var hostHCR: HCR { get }
    /// vcpu_load: before the vCPU first runs on this CPU (and after an exit to user space).
    func vcpuLoad(_ vcpu: VCPU)
    /// vcpu_put: before returning to user space.
    func vcpuPut(_ vcpu: VCPU)
    /// The first entry into the guest from the host.
    func firstEntry(_ vcpu: VCPU)
    /// An exception from the guest has been taken to EL2: switch to the host,
    /// run `handle` there, switch back and ERET into the guest.
    func exit(_ vcpu: VCPU, handle: () -> ExitAction)
    /// Enters the guest again after an exit the host finished later (a vCPU
    /// that blocked in WFI and was woken): the second half of `exit`.
    func reenter(_ vcpu: VCPU)
}

/// Which design a run uses (`--mode nvhe|vhe`).
public enum VirtualizationMode: String, CaseIterable, Sendable {
    case nvhe, vhe
    public var title: String { self == .nvhe ? "split-mode (nVHE)" : "VHE" }
}

/// What the host does after handling an exit.
enum ExitAction {
    /// Re-enter the guest at once.
    case resume
    /// The device is emulated in user space: return to it and come back (KVM_RUN ioctl returns).
    case resumeViaUserspace
    /// WFI: block the vCPU until its next event.
    case block
    /// End the run.
    case stop(StopReason)
}
