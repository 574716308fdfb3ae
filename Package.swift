// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode with the upcoming features the
/// swift-server ecosystem turns on, so C types stay out of public API and `any` is explicit.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "station-agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "station-agent", targets: ["StationAgentCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: Thin C shims (system libraries from Debian's -dev packages)
        .systemLibrary(
            name: "CLibUSB", pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(
            name: "CUdev", pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CUMockdev", pkgConfig: "umockdev-1.0",
            providers: [.apt(["libumockdev-dev"])]),

        // MARK: Pure rules and decoders (no I/O)
        .target(name: "ScannerProtocols", swiftSettings: strictSettings),
        .target(name: "ParcelRules", swiftSettings: strictSettings),

        // MARK: I/O
        .target(
            name: "USBTransport",
            dependencies: [
                "CLibUSB", "CUdev",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // MARK: The executable
        .executableTarget(
            name: "StationAgentCLI",
            dependencies: [
                "USBTransport", "ScannerProtocols", "ParcelRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // MARK: Test support: an in-process usbdevfs emulator over umockdev
        .target(
            name: "USBEmulator",
            dependencies: ["CUMockdev"],
            swiftSettings: strictSettings),

        // MARK: Tests
        .testTarget(name: "ScannerProtocolsTests", dependencies: ["ScannerProtocols"], swiftSettings: strictSettings),
        .testTarget(name: "ParcelRulesTests", dependencies: ["ParcelRules"], swiftSettings: strictSettings),
        .testTarget(
            name: "USBTransportTests",
            dependencies: ["USBTransport", "USBEmulator"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CLITests",
            dependencies: ["USBEmulator"],
            swiftSettings: strictSettings),
    ]
)
