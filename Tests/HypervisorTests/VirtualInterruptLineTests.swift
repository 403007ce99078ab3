import AArch64
import EL2
import GuestBuild
@testable import Hypervisor
import XCTest

/// HCR_EL2.VI and HCR_EL2.VSE: EL2 software raising virtual interrupts
/// directly, without the GIC. A small EL2 harness answers the `virqline`
/// guest's test calls and forwards everything else to the hypervisor.
final class VirtualInterruptLineTests: XCTestCase {
    final class Harness: ExceptionVectors {
        let vm: VirtualMachine
        init(vm: VirtualMachine) { self.vm = vm }

        override func synchronousFromLowerEL(_ cpu: Processor) {
            let esr = ExceptionSyndrome(raw: cpu.read(.ESR_EL2))
            let hcr = HCR(rawValue: cpu.read(.HCR_EL2))
            let x0 = cpu.readGPR(0)
            let change: HCR? = esr.ec == .hvc64 ? [0xC600_0001: .VI, 0xC600_0002: .VI, 0xC600_0003: .VSE][x0] : nil
            guard let bit = change else { return vm.synchronousFromLowerEL(cpu) }
            cpu.write(.HCR_EL2, (x0 == 0xC600_0002 ? hcr.subtracting(bit) : hcr.union(bit)).rawValue)
            cpu.eret()
        }
        override func irqFromLowerEL(_ cpu: Processor) { vm.irqFromLowerEL(cpu) }
        override func semihostingCall(_ cpu: Processor) { vm.semihostingCall(cpu) }
    }

    func testHCRVIAndVSERaiseVirtualInterruptsTakenWhenUnmasked() throws {
        for mode in VirtualizationMode.allCases {
            var c = Configuration()
            c.mode = mode
            c.maxInstructions = 10_000_000
            let vm = try VirtualMachine(c)
            let img = try GuestImage.load(path: FirmwareBuilder().build("virqline").path, ramBase: c.ramBase, ramSize: c.ramSize)
            try vm.load(img)
            let harness = Harness(vm: vm)
            vm.vcpus[0].cpu.software = harness
            var taken: [String] = []
            vm.events.observers.append { e in
                if case .hardware(_, _, .guestException(_, _, let kind, _)) = e { taken.append(kind) }
            }
            let reason = vm.run(entry: img.entry)
            XCTAssertEqual(reason, .guestExit(status: 0, how: "semihosting SYS_EXIT"), vm.output)
            XCTAssertFalse(vm.output.contains("FAIL"), vm.output)
            XCTAssertEqual(vm.output.components(separatedBy: "PASS").count - 1, 8, vm.output)
            XCTAssertEqual(taken, ["irq", "serror"], "\(mode)")
        }
    }
}
