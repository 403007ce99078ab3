import ArgumentParser
import Foundation
import GuestBuild
import Hypervisor
import Trace

/// `el2emu compare`: by default the micro-benchmark guest (hypercall, I/O
/// kernel, I/O user, virtual IPI, virtual EOI) in split mode and VHE with the
/// published numbers beside it; with a guest, that guest's exits by kind.
/// `--report DIR` also writes the HTML page with SVG charts.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the micro-benchmark guest (or a guest you name) in split mode and VHE and compare the modelled exit costs with the published ones.")

    @OptionGroup var guest: GuestOptions

    @Flag(help: "Show where each design's cycles go, phase by phase and operation by operation.")
    var breakdown = false

    @Option(help: "Write an HTML report with SVG charts into this directory (index.html).")
    var report: String?

    func validate() throws {
        if guest.entryEL != .el1 { throw ValidationError("compare measures el2emu's hypervisor designs: the guest must enter at EL1, not --entry-el \(guest.entryEL.rawValue)") }
    }

    func run() throws {
        let input: CompareReportInput
        if guest.image == nil && guest.guest == nil {
            var config = try guest.configuration(mode: .nvhe)
            if config.maxInstructions == .max { config.maxInstructions = 500_000_000 }
            let path = try FirmwareBuilder().build("microbench").path
            let img = try GuestImage.load(path: path, ramBase: config.ramBase, ramSize: config.ramSize)
            let rows = Comparison.run(image: img, base: config)
            print(ComparisonTable.render(rows, profile: config.profile, breakdown: breakdown))
            input = ComparisonTable.reportInput(rows, profile: config.profile)
        } else {
            let split = try GuestRun.start(guest, config: guest.configuration(mode: .nvhe), trace: nil, console: nil)
            let vhe = try GuestRun.start(guest, config: guest.configuration(mode: .vhe), trace: nil, console: nil)
            input = CompareReportInput(split: split.vm.ledger, vhe: vhe.vm.ledger)
            print("exit kind                 split      VHE   published split   published VHE")
            for k in input.kinds {
                func c(_ v: UInt64?) -> String { v.map(String.init) ?? "-" }
                print(k.name.padding(toLength: 22, withPad: " ", startingAt: 0) + [c(k.splitCycles), c(k.vheCycles), c(k.publishedSplit), c(k.publishedVHE)]
                    .enumerated().map { String(repeating: " ", count: max(1, [9, 9, 18, 16][$0.offset] - $0.element.count)) + $0.element }.joined())
            }
        }
        if let report {
            do {
                print("report: " + (try CompareReport.write(input, to: report)))
            } catch let e as TraceError {
                throw ValidationError(e.description)
            }
        }
    }
}
