import LabelDecoding
import Logging
import ScannerReaders
import StationConfig
import StationTime
import Synchronization
import USBTransport
import UVCCamera

/// A code the camera accepted (SPEC §4's in-view rule) with the frame it was decoded from, which becomes the photo.
struct CameraCode: Sendable {
    let label: DecodedLabel
    let frame: Frame
}

/// Reads one camera release device (出库仪/高拍仪, `protocol = "uvc"`): streams frames through libuvc on the agent's
/// libusb context, decodes them on a worker thread (newest frame first, stale ones dropped), applies the in-view rule
/// and hands each accepted code, with its frame, to ``codes``.
///
/// Three threads meet here, none waiting on another: libuvc's frame thread only copies the frame into the
/// ``FrameMailbox``; the mailbox's worker decodes and applies the rule; the device's task takes accepted codes from
/// ``codes``, makes the photo and journals them. A camera that floods (a shelf of labels) cannot grow memory: at most
/// ``bufferLimit`` accepted codes wait, beyond that they are dropped and said in the log.
final class CameraReader: Sendable {
    /// Accepted codes waiting for the journal, at most.
    static let bufferLimit = 64
    /// A camera that sends no frame for this long while streaming, without being unplugged, is stopped as failed
    /// (``UVCError/stalled``), so the device's loop starts it again: libuvc stops resubmitting a transfer that
    /// failed (a hub reset, interference) and would otherwise stay claimed and silent until re-plugged.
    static let defaultStallLimit: Duration = .seconds(10)

    let identity: ScannerIdentity
    let codes: AsyncStream<CameraCode>
    private let camera: UVCCamera
    private let mailbox: FrameMailbox
    private let stream: UVCStream
    private let continuation: AsyncStream<CameraCode>.Continuation
    private let logger: Logger
    private let finished = Mutex(false)
    /// When the last frame arrived (monotonic ns), for the stall watchdog.
    private let lastFrame: FrameTime
    private let stallLimit: Duration

    /// Opens the camera at `device`, negotiates `frame` (MJPEG preferred, YUYV accepted) and starts reading.
    /// - Throws: `UVCError` from opening or starting (the camera is closed again first).
    init(
        context: USBContext, device: USBDeviceInfo, frame: DeviceConfiguration.CameraFrame, name: String, logger: Logger,
        stallLimit: Duration = CameraReader.defaultStallLimit
    ) throws(UVCError) {
        var logger = logger
        logger[metadataKey: "device"] = "\(name)"
        logger[metadataKey: "port"] = "\(device.port)"
        logger[metadataKey: "protocol"] = "uvc"
        self.logger = logger
        identity = ScannerIdentity(name: name, device: device)
        let camera = try UVCCamera.open(device.id, in: context, logger: logger)
        let (codes, continuation) = AsyncStream<CameraCode>.makeStream(bufferingPolicy: .bufferingOldest(Self.bufferLimit))
        self.codes = codes
        self.continuation = continuation
        self.stallLimit = stallLimit
        let lastFrame = FrameTime()
        self.lastFrame = lastFrame
        let rule = Mutex(InViewRule())
        let mailbox = FrameMailbox(logger: logger) { [logger] frame, labels in
            let accepted = rule.withLock { $0.observe(labels, in: frame) }
            for acceptance in accepted {
                if case .dropped = continuation.yield(CameraCode(label: acceptance.label, frame: acceptance.frame)) {
                    logger.error(
                        "camera code \(acceptance.label.text.debugDescription) NOT recorded: \(Self.bufferLimit) codes already wait for the journal")
                }
            }
        }
        do {
            stream = try camera.start(
                frame: UVCFrameRequest(width: frame.width, height: frame.height, framesPerSecond: frame.framesPerSecond)
            ) { uvc in
                let format: Frame.Format
                switch uvc.format {
                case .mjpeg: format = .mjpeg
                case .yuyv: format = .yuyv
                case .other: return
                }
                lastFrame.stamp()
                mailbox.post(Frame(width: uvc.width, height: uvc.height, format: format, bytes: uvc.bytes, arrivalNanos: uvc.arrivedAt))
            }
        } catch {
            mailbox.stop()
            camera.close()
            continuation.finish()
            throw error
        }
        self.camera = camera
        self.mailbox = mailbox
        logger.info("camera release device streaming \(stream.settings)")
    }

    /// Waits until the stream ends (unplugged, or a failure), then stops decoding and ends ``codes`` after the codes
    /// already accepted. Returns how it ended.
    func run() async -> UVCStreamEnd {
        lastFrame.stamp()
        let limit = UInt64(stallLimit.components.seconds) * 1_000_000_000
            + UInt64(stallLimit.components.attoseconds / 1_000_000_000)
        let check = Duration.nanoseconds(Int64(max(limit / 4, 50_000_000)))
        // Off the cooperative pool: stopping waits for libusb to give the transfers back.
        let watchdog = Task.detached { [camera, lastFrame, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: check)
                let silent = SystemClock.monotonicNanos() &- lastFrame.nanos
                guard !Task.isCancelled, silent > limit else { continue }
                logger.warning("camera sent no frame for \(silent / 1_000_000) ms while streaming: stopping it to start again")
                camera.stop(.failed(UVCError(code: UVCError.stalled.code, operation: "stream frames")))
                return
            }
        }
        let end = await stream.ended()
        watchdog.cancel()
        finish()
        return end
    }

    /// Stops streaming and decoding; ``codes`` ends after the codes already accepted. Idempotent.
    func close() {
        camera.stop()
        finish()
    }

    private func finish() {
        guard finished.withLock({ done in defer { done = true }; return !done }) else { return }
        mailbox.stop()
        continuation.finish()
        camera.close()
        let statistics = mailbox.statistics
        logger.info(
            "camera stopped: \(statistics.decoded) frames decoded, \(statistics.dropped) stale frames skipped, \(statistics.failed) unreadable")
    }

    /// The AIM symbology identifier (ISO/IEC 15424) of a decoded label, so the scan rules see what a scanner would
    /// report: `]E0` makes a product EAN-13 a rejected product code (SPEC §5.5).
    static func aimIdentifier(_ symbology: Symbology) -> String? {
        switch symbology {
        case .code128: "]C0"
        case .code39: "]A0"
        case .code93: "]G0"
        case .ean13, .upcA: "]E0"
        case .ean8: "]E4"
        case .itf: "]I0"
        case .qrCode: "]Q1"
        case .dataMatrix: "]d1"
        default: nil
        }
    }
}

/// The monotonic time of the newest frame: written on libuvc's frame thread, read by the stall watchdog.
private final class FrameTime: Sendable {
    private let value = Atomic<UInt64>(SystemClock.monotonicNanos())
    func stamp() { value.store(SystemClock.monotonicNanos(), ordering: .relaxed) }
    var nanos: UInt64 { value.load(ordering: .relaxed) }
}
