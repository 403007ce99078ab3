import AArch64
import EL2
import GuestBuild
import XCTest

/// Exception entry to EL2 (ESR_EL2, ELR_EL2, SPSR_EL2) and ERET (PSTATE from
/// SPSR_EL2, PC from ELR_EL2) on the hardware model, with a minimal EL2
/// program as the software and the `eret` firmware guest.
final class ExceptionReturnTests: XCTestCase {
    /// EL2 software that edits the return state, then reports what the guest saw.
    final class EditingHandler: ExceptionVectors {
        var entries: [(esr: UInt64, elr: UInt64, spsr: UInt64, hvcBeforeELR: UInt32?)] = []
        var reported: (x0: UInt64, x1: UInt64)?

        override func synchronousFromLowerEL(_ cpu: Processor) {
            let esr = cpu.read(.ESR_EL2), elr = cpu.read(.ELR_EL2), spsr = cpu.read(.SPSR_EL2)
            let word = cpu.readGuest(virtual: elr &- 4, count: 4).map { b in (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[$1]) << (8 * $1) } }
            entries.append((esr, elr, spsr, word))
            switch ExceptionSyndrome(raw: esr).imm16 {
            case 1:
                cpu.write(.SPSR_EL2, spsr | 1 << 30)   // PSTATE.Z
                cpu.write(.ELR_EL2, elr &+ 4)
                cpu.writeGPR(0, 0x600D)
            default:
                reported = (cpu.readGPR(0), cpu.readGPR(1))
                cpu.requestStop(.guestExit(status: 0, how: "test"))
            }
            cpu.eret()
        }
        override func irqFromLowerEL(_ cpu: Processor) { cpu.eret() }
        func nextEvent(_ cpu: Processor) -> UInt64? { nil }
    }

    func testHVCEntryRecordsSyndromeAndERETRestoresEditedPSTATEAndPC() throws {
        let image = try [UInt8](Data(contentsOf: FirmwareBuilder().buildImage("eret")))
        let memory = HostMemory()
        let ramBase: UInt64 = 0x4000_0000, ramSize: UInt64 = 16 << 20, load: UInt64 = 0x4008_0000
        _ = try memory.add(base: ramBase, size: ramSize)
        XCTAssertTrue(image.withUnsafeBytes { memory.write(load, $0) })
        let cpu = try Processor(memory: memory)
        try cpu.mapDirect(address: ramBase, size: ramSize, hostPA: ramBase)
        let handler = EditingHandler()
        cpu.software = handler
        cpu.maxInstructions = 1_000_000
        // Boot as a hypervisor does: at EL2, then ERET to the guest at EL1h, DAIF masked.
        cpu.beginAtEL2(hcr: [.RW, .IMO, .FMO, .AMO])   // stage 2 off: RAM is mapped directly
        cpu.write(.ELR_EL2, load)
        cpu.write(.SPSR_EL2, ProcessorState.el1hMasked.raw)
        cpu.eret()
        XCTAssertEqual(cpu.currentEL, 1)

        let reason = cpu.run()
        XCTAssertEqual(reason, .guestExit(status: 0, how: "test"))
        XCTAssertEqual(handler.entries.count, 2)
        guard let first = handler.entries.first else { return }
        XCTAssertEqual(first.esr, 0x5A00_0001, "EC 0x16 (HVC64), IL, imm16 = 1")
        XCTAssertEqual(first.hvcBeforeELR, 0xD400_0022, "ELR_EL2 is the instruction after HVC #1")
        XCTAssertEqual(first.spsr, 0x3C5, "SPSR_EL2: EL1h, DAIF masked, NZCV clear")
        XCTAssertEqual(handler.entries[1].elr, first.elr &+ 12, "the guest resumed at the edited ELR_EL2 (mov skipped)")
        XCTAssertEqual(handler.reported?.x0, 0x600D, "the skipped MOV did not run; x0 is the handler's")
        XCTAssertEqual(handler.reported?.x1, 1 << 30, "PSTATE.Z came from the edited SPSR_EL2")
        XCTAssertEqual(handler.entries[1].spsr, 0x4000_03C5, "the second entry saw PSTATE with Z set")
    }
}
