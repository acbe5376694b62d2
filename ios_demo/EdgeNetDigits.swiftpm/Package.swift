// swift-tools-version: 5.9
//
// The EdgeNet Digits demo: an iOS app package. Open this folder
// (EdgeNetDigits.swiftpm) in Xcode 15+ (or Swift Playgrounds 4.4+ on a Mac)
// and press Run; it builds the edgenet Swift package from the repository root
// (../..) for the chosen simulator or device. `AppleProductTypes` exists only
// in Xcode, so SwiftPM on Linux never builds this package.
import AppleProductTypes
import PackageDescription

let package = Package(
    name: "EdgeNet Digits",
    platforms: [.iOS("16.0")],
    products: [
        .iOSApplication(
            name: "EdgeNet Digits",
            targets: ["AppModule"],
            bundleIdentifier: "dev.edgenet.digits",
            displayVersion: "1.0",
            bundleVersion: "1",
            appIcon: .placeholder(icon: .pencil),
            accentColor: .presetColor(.blue),
            supportedDeviceFamilies: [.pad, .phone],
            supportedInterfaceOrientations: [
                .portrait,
                .landscapeRight,
                .landscapeLeft,
                .portraitUpsideDown(.when(deviceFamilies: [.pad])),
            ]
        )
    ],
    dependencies: [
        // The edgenet package at the repository root. An app of your own would
        // use .package(url: "<repository URL>", branch: "main") instead.
        .package(path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "AppModule",
            // Products of the root package, found by name.
            dependencies: ["EdgeNet", "EdgeNetDemoCore"],
            path: "App",
            resources: [
                // The example int8 digits CNN (examples/digits), shipped in the bundle.
                .copy("Resources/digits.enet")
            ]
        )
    ]
)
