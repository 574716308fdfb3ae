import Synchronization
import Testing
import USBEmulator
import USBTransport
import UVCCamera
#if canImport(Glibc)
import Glibc
#endif

/// Device tests run under the umockdev preload; when the test command requires them
/// (`STATION_AGENT_REQUIRE_DEVICE_TESTS`, as `make test` sets) they run without it too, and fail.
let deviceTestsRun = USBTestbed.isAvailable || getenv("STATION_AGENT_REQUIRE_DEVICE_TESTS") != nil

/// The emulated camera, the libusb context over it and the camera opened through libuvc.
struct CameraBench {
    let testbed: USBTestbed
    let emulated: EmulatedUVCCamera
    let context: USBContext
    let camera: UVCCamera
}

/// Plugs an emulated camera (and the hubs), opens it through libuvc on a fresh `USBContext`, runs `body`,
/// and closes everything whatever `body` did.
func withCamera<T>(
    _ transport: EmulatedUVCCamera.Transport, _ body: (CameraBench) async throws -> T
) async throws -> T {
    try await TestbedLock.withTestbed { testbed in
        try testbed.add(fixture: fixturePath("roothub.umockdev"))
        let emulated = try EmulatedUVCCamera(transport: transport)
        try testbed.plug(emulated.device)
        let context = try USBContext()
        defer { context.shutdown() }
        let info = try #require(context.devices().first { $0.port == "1-5" }, "the camera at 1-5")
        let camera = try UVCCamera.open(info.id, in: context)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(CameraBench(testbed: testbed, emulated: emulated, context: context, camera: camera)))
        } catch {
            result = .failure(error)
        }
        camera.close()
        return try result.get()
    }
}

/// Frames a handler received, with `CLOCK_MONOTONIC` when the handler ran (the emulator's clock).
final class FrameLog: Sendable {
    private let state = Mutex<[(frame: UVCFrame, handledAt: UInt64, enteredAt: UInt64)]>([])

    /// The handler to give `start`.
    var handler: @Sendable (UVCFrame) -> Void {
        { [self] frame in
            let handled = monotonicNow()
            let entered = MonotonicClock.now()
            state.withLock { $0.append((frame, handled, entered)) }
        }
    }

    var frames: [UVCFrame] { state.withLock { $0.map(\.frame) } }
    var count: Int { state.withLock { $0.count } }
    var handledAt: [UInt64] { state.withLock { $0.map(\.handledAt) } }
    /// ns from libuvc's callback (the frame's `arrivedAt`) to the handler, per frame: the copy.
    var callbackToHandler: [UInt64] { state.withLock { $0.map { $0.enteredAt - $0.frame.arrivedAt } } }

    /// Waits (bounded) for `count` frames.
    func wait(for count: Int, within seconds: Double = 15) async throws -> [UVCFrame] {
        try await waitUntil(seconds, "\(count) frames (have \(self.count))") { self.count >= count }
        return frames
    }
}

func monotonicNow() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// "MJPEG" frames: a JPEG's start and end markers around bytes that differ per frame; sizes from a
/// few bytes to several payloads, one an exact multiple of nothing in particular.
func mjpegFrames(_ count: Int, seed: UInt64 = 1) -> [[UInt8]] {
    var generator = seed &* 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { index in
        let size = [40_000, 3, 65_519, 100_003, 12_288, 7][index % 6]
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes.reserveCapacity(size + 4)
        for _ in 0..<size {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: generator >> 33))
        }
        return bytes + [0xFF, 0xD9]
    }
}

/// YUYV frames of exactly `width × height × 2` bytes, each with its own pattern.
func yuyvFrames(_ count: Int, width: Int = 640, height: Int = 480) -> [[UInt8]] {
    (0..<count).map { index in
        (0..<(width * height * 2)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index &* 31 &+ ($0 >> 11)) }
    }
}

/// Where received frames differ from the sent ones, briefly (never the bytes themselves).
func differences(_ received: [UVCFrame], _ sent: [[UInt8]]) -> String {
    var notes: [String] = []
    if received.count != sent.count { notes.append("\(received.count) frames, \(sent.count) sent") }
    for (index, (frame, bytes)) in zip(received, sent).enumerated() where frame.bytes != bytes {
        let first = Array(zip(frame.bytes, bytes)).firstIndex { $0 != $1 } ?? min(frame.bytes.count, bytes.count)
        notes.append("frame \(index): \(frame.bytes.count) bytes, sent \(bytes.count), first difference at \(first)")
    }
    return notes.joined(separator: "; ")
}

/// Whether the frames are the sent ones, byte for byte (an expectation on this prints no megabytes).
func sameBytes(_ received: [UVCFrame], _ sent: [[UInt8]]) -> Bool { received.map(\.bytes) == sent }
