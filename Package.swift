// swift-tools-version:6.0
// el2emu: an ARMv8 EL2 virtualization emulator.
// The target graph is the hardware/software line: only `Unicorn` imports
// the C shim, only `EL2` (the emulated hardware) imports `Unicorn`, and the
// `Hypervisor` (software) sees the machine through `EL2` alone. SwiftPM lets
// a target import its dependencies' dependencies too, so LayeringTests
// checks every import against the layer map.
import PackageDescription

let package = Package(
    name: "el2emu",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "el2emu", targets: ["el2emu"]),
        .executable(name: "el2emu-bench", targets: ["el2emu-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Unicorn calls the block gate's hook before every block: a leaf
        // function's frame would be 3 of its 9 instructions.
        .target(name: "CUnicorn", cSettings: [.unsafeFlags(["-momit-leaf-frame-pointer"])],
                linkerSettings: [.linkedLibrary("unicorn")]),
        .target(name: "Unicorn", dependencies: ["CUnicorn"]),
        .target(name: "AArch64"),
        .target(name: "EL2", dependencies: ["Unicorn", "AArch64"]),
        // The cost model (ledger, profiles, phases, published figures) is
        // the software's: it knows no hardware, and the hardware knows it not.
        .target(name: "CostModel"),
        .target(name: "Hypervisor", dependencies: ["EL2", "AArch64", "CostModel"]),
        .target(name: "Trace", dependencies: ["Hypervisor", "EL2", "AArch64", "CostModel"]),
        .target(name: "GuestBuild"),
        .target(name: "GDBRemote"),
        // The command line as a library, so that tests can parse and run
        // its commands in-process; the executable is its `main` alone.
        .target(name: "EL2EmuCommands", dependencies: [
            "Hypervisor", "EL2", "AArch64", "CostModel", "Trace", "GuestBuild", "GDBRemote",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "el2emu", dependencies: ["EL2EmuCommands"]),
        // The benchmark compares el2emu with bare Unicorn running the same
        // loop, so it alone (besides EL2) also uses the Unicorn layer.
        .executableTarget(name: "el2emu-bench", dependencies: ["Unicorn", "EL2", "AArch64", "CostModel", "Hypervisor", "Trace", "GuestBuild"]),
        .testTarget(name: "AArch64Tests", dependencies: ["AArch64"]),
        .testTarget(name: "CostModelTests", dependencies: ["CostModel"]),
        .testTarget(name: "EL2Tests", dependencies: ["EL2", "AArch64", "GuestBuild"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "CostModel", "EL2", "AArch64", "Trace", "GuestBuild"]),
        .testTarget(name: "el2emuTests", dependencies: ["GuestBuild", "EL2EmuCommands", "Hypervisor", "Trace", "AArch64"]),
        // Reads Sources/ and checks each module's imports against the layers.
        .testTarget(name: "LayeringTests"),
        .testTarget(name: "TraceTests", dependencies: ["Trace", "Hypervisor", "CostModel", "EL2", "AArch64", "GuestBuild", "GDBRemote", "el2emu"]),
    ],
    swiftLanguageModes: [.v5]
)

// Exits run through class properties on every hook; dynamic exclusivity
// checks cost more than the work itself in release builds.
for t in package.targets where t.type == .regular || t.type == .executable {
    t.swiftSettings = (t.swiftSettings ?? []) + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
}
