// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for the pure decoders of `ScannerProtocols`, one executable per decoder.
///
/// A package of its own so the main package never builds with `-sanitize=fuzzer`; it reaches the decoders
/// through the main package's `ScannerProtocols` library product. See README.md for the commands.
let fuzzSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // libFuzzer provides `main`; the target only exports `LLVMFuzzerTestOneInput`.
    .unsafeFlags(["-parse-as-library"]),
]

let decoders: Target.Dependency = .product(name: "ScannerProtocols", package: "station-agent")

let package = Package(
    name: "station-agent-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "station-agent", path: "..")],
    targets: [
        .executableTarget(name: "FuzzKeyboard", dependencies: [decoders], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzHIDPOS", dependencies: [decoders], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzLineFramer", dependencies: [decoders], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzFTDI", dependencies: [decoders], swiftSettings: fuzzSettings),
    ]
)
