import ArgumentParser
import GuestBuild

struct Firmware: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build the guests in Firmware/ and print their paths.")

    @Argument(help: "Guest names (default: all).")
    var names: [String] = []

    @Flag(help: "Build the teaching hypervisor (Firmware/hyp, entered at EL2) with each named guest appended, to run at EL1 under it.")
    var hyp = false

    @Flag(help: "Print the path of each guest as a flat binary (llvm-objcopy -O binary, loaded at 0x4008_0000), as a VMM of its own loads it.")
    var binary = false

    func run() throws {
        let b = FirmwareBuilder()
        for n in names.isEmpty ? b.guests : names { print(try (hyp ? b.buildHypervisor(guest: n) : binary ? b.buildImage(n) : b.build(n)).path) }
    }
}
