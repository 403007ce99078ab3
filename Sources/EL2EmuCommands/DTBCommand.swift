import ArgumentParser
import Foundation
import Hypervisor

struct DTB: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dtb", abstract: "Write the device tree el2emu gives its guests (the same board options as run).")

    @Option(help: "Output file.")
    var out: String

    @OptionGroup var guest: GuestOptions

    func run() throws {
        var c = try guest.configuration(mode: .nvhe)
        // The initrd's place depends on the kernel's end: only then is the image read.
        if guest.initrd != nil { _ = try guest.load(guest.imagePath(), &c) }
        let blob = VirtBoardDeviceTree.make(c, bootargs: guest.append).encode()
        try openForWriting(out, option: "--out").write(contentsOf: Data(blob))
    }
}
