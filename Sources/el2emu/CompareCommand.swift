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

    @Option(help: "Also write an HTML report with SVG charts into this directory (index.html).")
    var report: String?

    func run() throws {
        var config = Configuration()
        do {
            config.profile = try CostProfile.named(profile)
        } catch let e as CostProfile.LoadError {
            throw ValidationError("--profile: \(e.description)")
        }
        config.maxInstructions = 200_000_000
        if let report { try checkWritable(report) }
        let path = try image ?? FirmwareBuilder().build("microbench").path
        let img = try GuestImage.load(path: path, ramBase: config.ramBase, ramSize: config.ramSize)
        let rows = Comparison.run(image: img, base: config)
        print(ComparisonTable.render(rows, profile: config.profile, breakdown: breakdown))
        if let report {
            do {
                print("report: " + (try CompareReport.write(CompareReportInput(rows: rows, profile: config.profile), to: report)))
            } catch let e as TraceError {
                throw ValidationError(e.description)
            }
        }
    }

    /// Fails before the (long) measurement if the report cannot be written.
    func checkWritable(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the report directory '\(directory)': \(error.localizedDescription)")
        }
        guard access(directory, W_OK) == 0 else { throw ValidationError("cannot write into the report directory '\(directory)'") }
    }
}
