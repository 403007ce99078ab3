import ArgumentParser
import Foundation
import Hypervisor

struct DTB: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dtb", abstract: "Write the device tree el2emu gives its guests.")

    @Option(help: "Output file.")
    var out: String

    @Option(help: "Guest RAM size, e.g. 128M.")
    var mem: String = "128M"

    @Option(help: "Number of vCPUs.")
    var cpus: Int = 1

    @Option(help: "Kernel command line for /chosen/bootargs.")
    var append: String = ""

    func run() throws {
        var c = Configuration()
        c.ramSize = try parseSize(mem)
        guard (1...8).contains(cpus) else { throw ValidationError("--cpus must be 1 to 8") }
        c.cpus = cpus
        let blob = VirtBoardDeviceTree.make(c, bootargs: append).encode()
        try openForWriting(out, option: "--out").write(contentsOf: Data(blob))
    }
}
