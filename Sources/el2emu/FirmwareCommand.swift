import ArgumentParser
import GuestBuild

struct Firmware: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build the guests in Firmware/ and print their paths.")

    @Argument(help: "Guest names (default: all).")
    var names: [String] = []

    func run() throws {
        let b = FirmwareBuilder()
        for n in names.isEmpty ? b.guests : names { print(try b.build(n).path) }
    }
}
