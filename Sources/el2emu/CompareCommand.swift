import ArgumentParser
import Foundation
import GuestBuild
import Hypervisor
import Trace

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the micro-benchmark guest in split mode and VHE and compare the modelled exit costs with the published ones.")

    @Option(help: "Cost profile: a57, xgene, or a JSON file.")
    var profile: String = "a57"

    @Flag(help: "Show where each design's cycles go, phase by phase and operation by operation.")
    var breakdown = false

    @Option(help: "The micro-benchmark image (default: Firmware/guests/microbench).")
    var image: String?

    func run() throws {
        var config = Configuration()
        config.profile = try CostProfile.named(profile)
        config.maxInstructions = 200_000_000
        let path = try image ?? FirmwareBuilder().build("microbench").path
        let img = try GuestImage.load(path: path, ramBase: config.ramBase, ramSize: config.ramSize)
        let rows = Comparison.run(image: img, base: config)
        print(ComparisonTable.render(rows, profile: config.profile, breakdown: breakdown))
    }
}
