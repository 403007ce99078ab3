import ArgumentParser
import Foundation
import Hypervisor
import Trace

/// `el2emu compare --report DIR`: runs the guest in split mode and in VHE
/// and compares the exit costs, with the published numbers beside them.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a guest in split mode and in VHE and compare the cost of its exits.")

    @OptionGroup var guest: GuestOptions

    @Option(help: "Write an HTML report with SVG charts into this directory (index.html).")
    var report: String?

    func run() throws {
        let split = try GuestRun.start(guest, config: guest.configuration(mode: .nvhe), trace: nil, console: nil)
        let vhe = try GuestRun.start(guest, config: guest.configuration(mode: .vhe), trace: nil, console: nil)
        let input = CompareReportInput(split: split.vm.ledger, vhe: vhe.vm.ledger)
        print("exit kind                 split      VHE   published split   published VHE")
        for k in input.kinds {
            func c(_ v: UInt64?) -> String { v.map(String.init) ?? "-" }
            print(k.name.padding(toLength: 22, withPad: " ", startingAt: 0) + [c(k.splitCycles), c(k.vheCycles), c(k.publishedSplit), c(k.publishedVHE)]
                .enumerated().map { String(repeating: " ", count: max(1, [9, 9, 18, 16][$0.offset] - $0.element.count)) + $0.element }.joined())
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
