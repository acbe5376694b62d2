// swift-tools-version:6.0
//
// The edgenet Swift package. It sits at the repository root because SwiftPM
// only finds a package there when an app adds it by repository URL.
//
//   CEdgeNet         the C core, compiled straight from native/ (no copy of its
//                    sources); SwiftPM turns native/include into a module map.
//   EdgeNet          the Swift API over edgenet.h (ios_demo/Sources/EdgeNet).
//   EdgeNetDemoCore  the demo app's platform-neutral logic: RGBA preprocessing,
//                    top-k, labels, model info, benchmark. No SwiftUI/UIKit, so
//                    it builds and is tested on Linux too.
//
// The SwiftUI demo app is a separate app package in ios_demo/EdgeNetDigits.swiftpm
// that depends on this one; SwiftPM on Linux never builds it.
import PackageDescription

let package = Package(
    name: "EdgeNet",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "EdgeNet", targets: ["EdgeNet"]),
        .library(name: "EdgeNetDemoCore", targets: ["EdgeNetDemoCore"]),
    ],
    targets: [
        .target(
            name: "CEdgeNet",
            path: "native",
            sources: ["src"],
            publicHeadersPath: "include",
            cSettings: [
                // Internal headers are included relative to native/src.
                .headerSearchPath("src"),
                .define("NDEBUG", .when(configuration: .release)),
            ],
            linkerSettings: [
                // The core needs only libc, libm and pthreads; on Apple
                // platforms these are all part of libSystem.
                .linkedLibrary("m", .when(platforms: [.linux, .android])),
                .linkedLibrary("pthread", .when(platforms: [.linux, .android])),
            ]
        ),
        .target(
            name: "EdgeNet",
            dependencies: ["CEdgeNet"],
            path: "ios_demo/Sources/EdgeNet"
        ),
        .target(
            name: "EdgeNetDemoCore",
            dependencies: ["EdgeNet"],
            path: "ios_demo/Sources/EdgeNetDemoCore"
        ),
        // The tests read models and expected outputs that
        // ios_demo/make_test_fixtures.py writes with the Python package into
        // ios_demo/Tests/Fixtures (ios_demo/run_swift_tests.sh does both).
        .testTarget(
            name: "EdgeNetTests",
            dependencies: ["EdgeNet", "EdgeNetDemoCore"],
            path: "ios_demo/Tests/EdgeNetTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
