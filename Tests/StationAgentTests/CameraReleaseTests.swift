import CommandCards
import Hashing
import LabelDecoding
import Logging
import ParcelRules
import ScanJournal
import StationAgent
import StationConfig
import StationTime
import StationTestSupport
import SystemSupport
import Testing
import USBEmulator
import USBTransport
#if canImport(Glibc)
import Glibc
#endif

/// Device tests run under the umockdev preload; when the test command requires them
/// (`STATION_AGENT_REQUIRE_DEVICE_TESTS`, as `make test` sets) they run without it too, and fail.
private let deviceTestsRun = USBTestbed.isAvailable || getenv("STATION_AGENT_REQUIRE_DEVICE_TESTS") != nil

/// The camera release device (出库仪/高拍仪) end to end inside the agent: the emulated UVC camera through real libusb
/// and libuvc, the agent's DeviceManager, decoder and in-view rule, and the real journal with its photos.
@Suite("camera release device: scripted parcels under the camera", .enabled(if: deviceTestsRun, "needs the umockdev preload: run `make test`"))
struct CameraReleaseTests {
    struct Setup: Sendable, CustomTestStringConvertible {
        let transport: EmulatedUVCCamera.Transport
        /// What the camera's descriptors offer; MJPEG is preferred when offered.
        let formats: [String]
        var testDescription: String { "\(transport) \(formats.first ?? "")" }
    }

    static let setups = [
        Setup(transport: .bulk, formats: ["MJPEG", "YUYV"]),
        Setup(transport: .isochronous, formats: ["YUYV"]),
    ]

    static let parcelA = "SF1000000000011"
    static let parcelB = "YT6900634716900"
    static let pairC = "JT0006968326954"
    static let pairD = "SF1122334455667"
    static let blurredE = "YT1234567890123"
    static let rotatedF = "SF1234567890123"
    static let product = EAN13.withCheckDigit("690123456789")

    /// The script of the issue: an empty table, parcel A held 2 s, parcel B, two parcels at once, a blurred and a
    /// rotated label, a product's EAN-13; an empty table between them. Images and how many frames each is held (at
    /// 15 fps).
    static func script() -> [(image: SyntheticImage, frames: Int)] {
        let empty = SyntheticImage()
        var pair = SyntheticImage()
        pair.drawLabel(modules: Code128.modules(pairC), x: 60, y: 40)
        pair.drawLabel(modules: Code128.modules(pairD), x: 120, y: 280)
        var productFrame = SyntheticImage()
        productFrame.drawLabel(modules: EAN13.modules(product), x: 150, y: 150, modulePixels: 3, barHeight: 120)
        let shown: [(SyntheticImage, Int)] = [
            (labelFrame(parcelA), 30), (labelFrame(parcelB), 8), (pair, 8), (labelFrame(blurredE).blurred(), 8),
            (labelFrame(rotatedF).rotated(degrees: 10), 8), (productFrame, 8),
        ]
        return [(empty, 3)] + shown.flatMap { [($0.0, $0.1), (empty, 3)] }
    }

    /// The frames' bytes as the camera sends them: MJPEG frames are JPEGs of the images (color, as a camera's are).
    static func bytes(_ script: [(image: SyntheticImage, frames: Int)], format: String) throws -> [[UInt8]] {
        try script.flatMap { image, frames in
            let yuyv = image.yuyv
            let bytes =
                format == "MJPEG"
                ? try PhotoEncoder(quality: 80).photo(of: Frame(width: 640, height: 480, format: .yuyv, bytes: yuyv, arrivalNanos: 0))
                : yuyv
            return [[UInt8]](repeating: bytes, count: frames)
        }
    }

    @Test("each parcel is released once with its photo; both of a pair; the product code rejected", .timeLimit(.minutes(2)),
        arguments: setups)
    func scriptedSequence(setup: Setup) async throws {
        let directory = try TemporaryDirectory()
        let toml = """
            station_id = "cam-test"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)"

            [[devices]]
            name = "release-cam"
            vendor_id = "0c45"
            protocol = "uvc"
            frame = "640x480@15"
            role = "outbound"
            """
        let configuration = try StationConfiguration.parse(toml, source: nil, environment: [:])
        let frames = try Self.bytes(Self.script(), format: setup.formats[0])
        let log = CapturedLog()
        let logger = log.logger
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let camera = try EmulatedUVCCamera(transport: setup.transport, formats: setup.formats)
            try testbed.plug(camera.device)
            let journal = try ScanJournal(dataDirectory: directory.path, logger: logger)
            let pipeline = ScanPipeline(gate: JournalGate(open: journal), logger: logger)
            let context = try USBContext()
            let manager = DeviceManager(context: context, configuration: configuration, pipeline: pipeline, logger: logger)
            let events = try context.hotplugEvents(includeExisting: true)
            let feeding = Task { for await event in events { await manager.handle(event) } }
            defer {
                feeding.cancel()
                context.shutdown()
            }
            // Streaming once the agent committed a mode; then the script, at the camera's 15 fps.
            #expect(await eventually(seconds: 15) { camera.isStreaming }, "the agent never streamed: \(log.messages)")
            // Format 1 is the first the descriptors offer: MJPEG where offered (preferred), else YUYV; frame 1 is 640x480.
            #expect(camera.committed?.format == 1 && camera.committed?.frame == 1, "\(String(describing: camera.committed))")
            #expect(camera.committed?.interval == 666_666, "15 fps")
            camera.play(frames)
            let reader = try journal.makeReader()
            #expect(
                await eventually(seconds: 40) { camera.framesQueued == 0 && ((try? reader.eventCount()) ?? 0) >= 7 },
                "script not done: \(camera.framesSent) of \(frames.count) frames sent, \(log.messages.suffix(20))")
            // The last frames (an empty table) have been decoded too: nothing more may come.
            try await Task.sleep(for: .milliseconds(500))
            await manager.stopAll()
            let recorded = try reader.events(after: 0, limit: 100)
            await journal.close()

            let released = recorded.filter { $0.outcome == .releasedUnmatched }
            #expect(released.map(\.code).sorted() == [Self.parcelA, Self.parcelB, Self.pairC, Self.pairD, Self.blurredE, Self.rotatedF].sorted(),
                "\(recorded.map { "\($0.seq) \($0.code) \($0.outcome)" })")
            #expect(Set(released.prefix(2).map(\.code)) == [Self.parcelA, Self.parcelB], "A, then B, in the order shown")
            let rejected = recorded.filter { $0.outcome == .rejected }
            #expect(rejected.map(\.code) == [Self.product], "the product code is rejected, once")
            #expect(rejected.first?.symbology == "]E0")
            #expect(recorded.count == 7, "nothing else: \(recorded.map { "\($0.code) \($0.outcome)" })")
            #expect(recorded.allSatisfy { $0.device == "release-cam" && $0.direction == .outbound && $0.source == .usb })

            // Every event carries its photo: on disk under the event's business day, the SHA-256 the event holds
            // (and so the chain), and the pixels show that event's label.
            let store = PhotoStore(dataDirectory: directory.path)
            for event in recorded {
                let photo = try #require(event.photo, "event \(event.seq) \(event.code) has no photo")
                let zone = try configuration.stationZone().zone
                let day = zone.businessDay(utcNanos: event.effectiveNanos).description
                #expect(photo.path == "photos/\(day)/\(event.seq).jpg")
                #expect(store.state(of: photo) == .intact)
                let file = try SystemFile.read(directory.path + "/" + photo.path, limit: 1 << 24).get()
                #expect(SHA256.hash(file) == photo.sha256)
                #expect(file.starts(with: [0xFF, 0xD8]), "a JPEG")
                let decoded = try LabelDecoder().decode(Frame(width: 640, height: 480, format: .mjpeg, bytes: file, arrivalNanos: 0))
                #expect(decoded.map(\.text).contains(event.code), "photo of \(event.seq) shows \(decoded.map(\.text)), not \(event.code)")
                if setup.formats[0] == "MJPEG" {
                    #expect(frames.contains(file), "an MJPEG camera's photo is its own frame, as it came")
                }
            }
            #expect(!log.messages.contains { $0.contains("NOT") }, "\(log.messages.filter { $0.contains("NOT") })")
        }
    }

    /// libuvc stops resubmitting a transfer that failed (a hub reset, interference): the camera stays claimed and
    /// sends nothing. The agent's watchdog stops such a stream as failed, the device's loop opens the camera again,
    /// and the next parcel under it is read.
    @Test("a camera that goes silent without leaving is started again, and reads the next parcel", .timeLimit(.minutes(1)))
    func silentCameraIsStartedAgain() async throws {
        let directory = try TemporaryDirectory()
        let toml = """
            station_id = "cam-test"
            data_dir = "\(directory.path)"

            [[devices]]
            name = "release-cam"
            vendor_id = "0c45"
            protocol = "uvc"
            role = "outbound"
            """
        let configuration = try StationConfiguration.parse(toml, source: nil, environment: [:])
        let log = CapturedLog()
        let logger = log.logger
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let camera = try EmulatedUVCCamera(transport: .bulk, formats: ["MJPEG", "YUYV"])
            try testbed.plug(camera.device)
            let journal = try ScanJournal(dataDirectory: directory.path, logger: logger)
            let pipeline = ScanPipeline(gate: JournalGate(open: journal), logger: logger)
            let context = try USBContext()
            let manager = DeviceManager(
                context: context, configuration: configuration, pipeline: pipeline, logger: logger,
                cameraStallLimit: .milliseconds(1500))
            let events = try context.hotplugEvents(includeExisting: true)
            let feeding = Task { for await event in events { await manager.handle(event) } }
            defer {
                feeding.cancel()
                context.shutdown()
            }
            #expect(await eventually(seconds: 15) { camera.isStreaming }, "the agent never streamed: \(log.messages)")
            let empty = try Self.bytes([(SyntheticImage(), 5)], format: "MJPEG")
            camera.play(empty)
            // The camera then sends nothing (nothing queued): stopped as stalled, and streaming again.
            #expect(
                await eventually(seconds: 15) {
                    log.messages.contains { $0.contains("stopped streaming") && $0.contains("STALLED") }
                },
                "the silent camera was not restarted: \(log.messages.suffix(15))")
            #expect(await eventually(seconds: 15) { camera.isStreaming }, "not streaming again: \(log.messages.suffix(15))")
            camera.play(try Self.bytes([(labelFrame(Self.parcelA), 8), (SyntheticImage(), 3)], format: "MJPEG"))
            let reader = try journal.makeReader()
            #expect(
                await eventually(seconds: 15) { ((try? reader.eventCount()) ?? 0) >= 1 },
                "the parcel after the restart was not read: \(log.messages.suffix(15))")
            await manager.stopAll()
            let recorded = try reader.events(after: 0, limit: 10)
            await journal.close()
            #expect(recorded.map(\.code) == [Self.parcelA])
            #expect(recorded.first?.photo != nil)
        }
    }
}

