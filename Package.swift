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
        .executable(name: "station-bench", targets: ["StationBench"]),
        // For the fuzzers in Fuzz/, a package of their own.
        .library(name: "ScannerProtocols", targets: ["ScannerProtocols"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
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
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CUMockdev", pkgConfig: "umockdev-1.0",
            providers: [.apt(["libumockdev-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CAlsa", pkgConfig: "alsa",
            providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(
            name: "CLibUVC", pkgConfig: "libuvc",
            providers: [.apt(["libuvc-dev"])]),
        // The camera's barcode reader: ZXing-C++ 1.4 (libzxing-dev) behind extern "C" functions, so no C++ reaches
        // Swift and no exception leaves it.
        .target(name: "CZXing", linkerSettings: [.linkedLibrary("ZXing")]),
        // JPEG through libjpeg-turbo (libjpeg62-turbo-dev) with an error manager that longjmps (Swift cannot), so a
        // corrupt frame is an error, not exit().
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),

        // MARK: Pure rules and decoders (no I/O)
        .target(name: "ScannerProtocols", swiftSettings: strictSettings),
        .target(name: "ParcelRules", swiftSettings: strictSettings),
        // The one escaping of untrusted text for people (log, terminal, CSV; SPEC §2) and the one CSV cell.
        .target(name: "TextEscaping", swiftSettings: strictSettings),
        .target(name: "CommandCards", dependencies: ["ParcelRules"], swiftSettings: strictSettings),

        // MARK: I/O
        // The system calls every I/O module needs, written once (whole files, EINTR, threads, stderr, hex IDs).
        .target(name: "SystemSupport", swiftSettings: strictSettings),
        .target(name: "StationTime", dependencies: ["SystemSupport"], swiftSettings: strictSettings),
        // SHA-256 for the journal's hash chain and SHA256SUMS, through libcrypto.
        .target(name: "Hashing", dependencies: ["CCrypto"], swiftSettings: strictSettings),
        // The words people read, in Chinese and English: the catalog, and the sentence type that carries it.
        .target(name: "HumanWords", swiftSettings: strictSettings),
        .target(
            name: "StationConfig",
            dependencies: ["HumanWords", "ParcelRules", "ScannerProtocols", "StationTime", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strictSettings),
        .target(
            name: "ScanJournal",
            dependencies: [
                "CSQLite", "HumanWords", "Hashing", "ParcelRules", "StationTime", "SystemSupport", "TextEscaping",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(
            name: "USBTransport",
            dependencies: [
                "CLibUSB", "CUdev", "StationTime", "SystemSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // MARK: The camera release device (SPEC §4, uvc): frames through libuvc on the agent's libusb context
        // libusb 1.0.26's libusb_close after a camera unplug (see its compat.c): linked into whatever uses UVCCamera.
        .target(name: "CLibUSBCompat", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "UVCCamera",
            dependencies: ["CLibUVC", "CLibUSBCompat", "USBTransport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),

        .target(
            name: "ScannerReaders",
            dependencies: ["USBTransport", "ScannerProtocols", "SystemSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),

        // MARK: The camera's frames (SPEC §4, uvc): what codes are in a frame, when they count, the photo
        .target(
            name: "LabelDecoding",
            dependencies: ["CZXing", "CJPEGShim", "SystemSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),

        // MARK: The county store (SPEC §8): HTTP through libcurl, S3 SigV4, plain PUT
        .target(
            name: "StoreClient",
            dependencies: ["CCurl", "Hashing", "SystemSupport"],
            swiftSettings: strictSettings),

        // MARK: Spoken verdicts (SPEC §6): WAV prompts played through ALSA on a thread of their own
        .target(
            name: "VoiceFeedback",
            dependencies: ["CAlsa", "HumanWords", "SystemSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),

        // MARK: The daily count files (SPEC §7): counting, atomic files, the refresher, verification
        .target(
            name: "CountReports",
            dependencies: [
                "HumanWords", "ScanJournal", "Hashing", "StationTime", "ParcelRules", "SystemSupport", "TextEscaping",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),

        // MARK: The uploader (SPEC §8): what the store has acknowledged, what to send next, the agent's service
        .target(
            name: "CountUpload",
            dependencies: [
                "CountReports", "HumanWords", "Hashing", "ScanJournal", "StationTime", "StoreClient", "SystemSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),

        // MARK: The county roll-up (SPEC §9): many stations' count files into one table and one page
        .target(
            name: "CountRollup",
            dependencies: ["CountReports", "Hashing", "ParcelRules", "StationTime", "StoreClient", "SystemSupport", "TextEscaping"],
            swiftSettings: strictSettings),

        // MARK: The agent: wires devices, rules, journal and reports
        .target(
            name: "StationAgent",
            dependencies: [
                "USBTransport", "ScannerReaders", "ScannerProtocols", "ParcelRules", "ScanJournal", "StationConfig",
                "StationTime", "CountReports", "CountUpload", "StoreClient", "SystemSupport", "TextEscaping", "VoiceFeedback",
                "HumanWords", "UVCCamera", "LabelDecoding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),

        // MARK: The executables
        .executableTarget(
            name: "StationAgentCLI",
            dependencies: [
                "CommandCards", "Hashing", "SystemSupport", "CountUpload", "CountRollup", "StoreClient",
                "StationAgent", "USBTransport", "ScannerProtocols", "ParcelRules", "ScanJournal", "StationConfig",
                "StationTime", "CountReports", "TextEscaping", "HumanWords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        .executableTarget(
            name: "StationBench",
            dependencies: [
                "ScanJournal", "ParcelRules", "StationTime", "CountReports", "StoreClient", "StationTestSupport", "SystemSupport",
                "LabelDecoding", "USBEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),

        // MARK: Test support: an in-process usbdevfs emulator over umockdev
        .target(
            name: "USBEmulator",
            dependencies: ["CUMockdev", "SystemSupport"],
            swiftSettings: strictSettings),

        // MARK: Tests
        // What several test targets share: temporary directories, child processes, waits, the test clock, how
        // scanners type and report.
        .target(
            name: "StationTestSupport",
            dependencies: [
                "CommandCards", "StationTime", "CountReports", "ParcelRules", "Hashing", "SystemSupport",
                .product(name: "Logging", package: "swift-log"),
            ], path: "Tests/Support",
            swiftSettings: strictSettings),
        .testTarget(
            name: "ScannerProtocolsTests", dependencies: ["ScannerProtocols", "StationTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "ParcelRulesTests", dependencies: ["ParcelRules", "StationTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "TextEscapingTests", dependencies: ["TextEscaping"], swiftSettings: strictSettings),
        .testTarget(name: "StationTimeTests", dependencies: ["StationTime", "StationTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CommandCardsTests", dependencies: ["CommandCards", "ParcelRules"], swiftSettings: strictSettings),
        .testTarget(
            name: "StationAgentTests",
            dependencies: [
                "HumanWords", "StationAgent", "StationConfig", "ScannerProtocols", "ParcelRules", "USBTransport", "SystemSupport",
                "StationTime", "StoreClient", "StationTestSupport", "VoiceFeedback", "USBEmulator", "LabelDecoding", "ScanJournal", "CommandCards",
                "Hashing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "VoiceFeedbackTests",
            dependencies: ["HumanWords", "VoiceFeedback", "StationTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "LabelDecodingTests",
            dependencies: ["CommandCards", "LabelDecoding", "StationTestSupport", "SystemSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .testTarget(name: "StationConfigTests", dependencies: ["HumanWords", "StationConfig"], swiftSettings: strictSettings),
        .testTarget(
            name: "ScanJournalTests",
            dependencies: ["HumanWords", 
                "ScanJournal", "Hashing", "ParcelRules", "StationTime", "StationTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CountReportsTests",
            dependencies: ["HumanWords", 
                "CountReports", "Hashing", "ScanJournal", "ParcelRules", "StationTime", "StationTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CountUploadTests",
            dependencies: ["HumanWords", "CountUpload", "CountReports", "StoreClient", "StationTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "USBTransportTests",
            dependencies: ["USBTransport", "USBEmulator"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ScannerReadersTests",
            dependencies: [
                "ScannerReaders", "USBTransport", "USBEmulator", "ScannerProtocols", "StationTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // UVC cameras through real libusb + libuvc against the emulated camera (bulk and isochronous).
        .testTarget(
            name: "UVCCameraTests",
            dependencies: [
                "UVCCamera", "USBTransport", "USBEmulator", "ScannerReaders", "ScannerProtocols", "StationTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // The county store client against real servers on 127.0.0.1 (Tests/Servers/stores), and its pure parts.
        .testTarget(
            name: "StoreClientTests",
            dependencies: ["StoreClient", "Hashing", "StationTestSupport", "StationTime", "SystemSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "HumanWords", "USBEmulator", "StationTestSupport", "StoreClient", "Hashing", "CountReports", "ParcelRules", "StationTime",
                "LabelDecoding",
            ],
            swiftSettings: strictSettings),
    ],
    // ZXing-C++ 1.4's headers need C++17 (CZXing).
    cxxLanguageStandard: .cxx17
)
