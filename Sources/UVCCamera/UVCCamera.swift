internal import CLibUSBCompat
internal import CLibUVC
public import Logging
import Synchronization
public import USBTransport
#if canImport(Glibc)
import Glibc
#endif

/// A UVC camera (the release device 出库仪/高拍仪) opened through libuvc on the agent's own libusb
/// context: list what it offers, stream frames into a handler, stop, close.
///
/// libuvc is given the `USBContext`'s libusb context (`uvc_init(&ctx, usb_ctx)`), so it starts no
/// event thread of its own: the context's one event thread runs its transfers, and `uvc_exit` leaves
/// the context alone. Frames arrive on a thread libuvc starts per stream; each is copied out of
/// libuvc's buffer (valid only during its callback) and handed to the handler there, so the handler
/// must be quick (hand the frame on; never decode in it). An unplugged camera ends its stream with
/// `UVCStreamEnd.failed(.unplugged)`, seen through the context's hotplug events.
public final class UVCCamera: Sendable {
    /// Where the camera sits.
    public let id: USBDeviceID
    /// Every format and size the camera's descriptors offer, in their order.
    public let modes: [UVCMode]
    /// Held so the libusb context (and its event thread) outlives libuvc's use of it.
    private let usb: USBContext
    /// `uvc_context_t *` and `uvc_device_handle_t *`. libuvc calls on them are serialised by `calls`;
    /// both live until `close()` (which runs once, under that lock).
    nonisolated(unsafe) private let context: OpaquePointer
    nonisolated(unsafe) private let handle: OpaquePointer
    /// Serialises every libuvc call on the handle (start, stop, close) across the caller's and the
    /// hotplug watcher's threads. Never taken on libuvc's frame thread.
    private let calls = Mutex<CameraState>(CameraState())
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    private struct CameraState {
        var stream: UVCStream?
        /// The retained `FrameSink` libuvc's callback gets as its user pointer; released after
        /// `uvc_stop_streaming` returns (libuvc's frame thread has ended by then).
        var sink: Unmanaged<FrameSink>?
        var gone = false
        var closed = false
    }

    private init(id: USBDeviceID, usb: USBContext, context: OpaquePointer, handle: OpaquePointer, modes: [UVCMode], logger: Logger) {
        self.id = id
        self.usb = usb
        self.context = context
        self.handle = handle
        self.modes = modes
        self.logger = logger
    }

    /// Opens the UVC camera at `id` (`uvc_init` on the context's libusb context, `uvc_get_device_list`,
    /// `uvc_open`: libuvc claims the video control interface, detaching uvcvideo) and reads its formats.
    ///
    /// - Throws: `UVCError.noDevice` when nothing is at `id`, `.notACamera` when the device there is not a
    ///   UVC camera, `.accessDenied`/`.busy` from opening it.
    public static func open(
        _ id: USBDeviceID, in usb: USBContext, logger: Logger = Logger(label: "station-agent.camera")
    ) throws(UVCError) -> UVCCamera {
        let operation = "open the camera at \(id)"
        // Keeps the libusb_close work-around (CLibUSBCompat) in the link: closing after an unplug needs it.
        _ = station_libusb_compat_linked()
        var created: OpaquePointer?
        let initialised = uvc_init(&created, usb.libusbContext)
        guard initialised == UVC_SUCCESS, let context = created else {
            throw UVCError(code: initialised.rawValue, operation: operation + " (uvc_init)")
        }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let listed = uvc_get_device_list(context, &list)
        guard listed == UVC_SUCCESS, let list else {
            uvc_exit(context)
            throw UVCError(code: listed.rawValue, operation: operation + " (uvc_get_device_list)")
        }
        var found: OpaquePointer?
        var index = 0
        while let device = list[index] {
            if uvc_get_bus_number(device) == id.bus && uvc_get_device_address(device) == id.address { found = device }
            index += 1
        }
        guard let found else {
            uvc_free_device_list(list, 1)
            uvc_exit(context)
            let present = usb.device(id) != nil
            throw UVCError(code: present ? UVCError.notACamera.code : UVCError.noDevice.code, operation: operation)
        }
        var opened: OpaquePointer?
        let result = uvc_open(found, &opened)
        // uvc_open holds its own reference to the device.
        uvc_free_device_list(list, 1)
        guard result == UVC_SUCCESS, let handle = opened else {
            uvc_exit(context)
            throw UVCError(code: result.rawValue, operation: operation + " (uvc_open)")
        }
        let camera = UVCCamera(id: id, usb: usb, context: context, handle: handle, modes: Self.modes(handle), logger: logger)
        camera.watchForUnplug()
        logger.info("camera opened", metadata: ["device": "\(id)", "modes": "\(camera.modes.map(\.description))"])
        return camera
    }

    /// Reads the format and frame descriptors libuvc parsed (`uvc_get_format_descs`).
    private static func modes(_ handle: OpaquePointer) -> [UVCMode] {
        var modes: [UVCMode] = []
        var format = uvc_get_format_descs(handle)
        while let current = format {
            let pixelFormat: UVCPixelFormat
            switch current.pointee.bDescriptorSubtype {
            case UVC_VS_FORMAT_MJPEG:
                pixelFormat = .mjpeg
            default:
                let guid = station_uvc_format_guid(current)!
                let fourcc = String(decoding: (0..<4).map { guid[$0] }, as: UTF8.self)
                pixelFormat = fourcc == "YUY2" || fourcc == "YUYV" ? .yuyv : .other(fourcc)
            }
            var frame = current.pointee.frame_descs
            while let descriptor = frame {
                var rates: [Int] = []
                if var interval = descriptor.pointee.intervals {
                    while interval.pointee != 0 {
                        rates.append(Int(10_000_000 / interval.pointee))
                        interval += 1
                    }
                } else if descriptor.pointee.dwMinFrameInterval > 0 {
                    // Continuous intervals: the fastest and slowest rates.
                    rates = [Int(10_000_000 / descriptor.pointee.dwMinFrameInterval)]
                    if descriptor.pointee.dwMaxFrameInterval > descriptor.pointee.dwMinFrameInterval {
                        rates.append(Int(10_000_000 / descriptor.pointee.dwMaxFrameInterval))
                    }
                }
                modes.append(
                    UVCMode(
                        format: pixelFormat, width: Int(descriptor.pointee.wWidth), height: Int(descriptor.pointee.wHeight),
                        framesPerSecond: rates))
                frame = descriptor.pointee.next
            }
            format = UnsafePointer(current.pointee.next)
        }
        return modes
    }

    // MARK: Streaming

    /// Negotiates `frame` in the first of `formats` the camera offers at that size and rate
    /// (`uvc_get_stream_ctrl_format_size`: probe and commit) and starts streaming
    /// (`uvc_start_streaming`; isochronous or bulk as the camera's streaming interface has it).
    ///
    /// `handler` runs on libuvc's frame thread once per frame, one at a time: keep it short (hand the
    /// frame to a queue or stream). Frames that arrive while it is still busy are dropped by libuvc
    /// (``UVCFrame/sequence`` skips). Do not call ``stop()`` from it and wait; a stop from the handler
    /// is carried out just after it returns.
    ///
    /// - Throws: `UVCError.modeNotOffered`, `.alreadyStreaming`, `.unplugged`, `.closed`, or libuvc's error.
    @discardableResult
    public func start(
        frame: UVCFrameRequest, formats: [UVCPixelFormat] = [.mjpeg, .yuyv],
        handler: @escaping @Sendable (UVCFrame) -> Void
    ) throws(UVCError) -> UVCStream {
        let operation = "start streaming \(frame) from the camera at \(id)"
        return try calls.withLock { state throws(UVCError) -> UVCStream in
            if state.closed { throw UVCError(code: UVCError.closed.code, operation: operation) }
            if state.gone { throw UVCError(code: UVCError.unplugged.code, operation: operation) }
            if state.stream != nil { throw UVCError(code: UVCError.alreadyStreaming.code, operation: operation) }
            var control = uvc_stream_ctrl_t()
            var chosen: UVCPixelFormat?
            var lastError = UVC_ERROR_INVALID_MODE
            for format in formats {
                let code: uvc_frame_format
                switch format {
                case .mjpeg: code = UVC_FRAME_FORMAT_MJPEG
                case .yuyv: code = UVC_FRAME_FORMAT_YUYV
                case .other: continue
                }
                // Ask only for what the descriptors list: libuvc probes (and claims) on a size match alone.
                guard modes.contains(where: { mode in
                    mode.format == format && mode.width == frame.width && mode.height == frame.height
                        && (frame.framesPerSecond.map { mode.framesPerSecond.contains($0) } ?? true)
                }) else { continue }
                lastError = uvc_get_stream_ctrl_format_size(
                    handle, &control, code, Int32(frame.width), Int32(frame.height), Int32(frame.framesPerSecond ?? 0))
                if lastError == UVC_SUCCESS {
                    chosen = format
                    break
                }
            }
            guard let chosen else {
                let offered = modes.map(\.description).joined(separator: "; ")
                throw UVCError(
                    code: lastError == UVC_ERROR_INVALID_MODE ? UVCError.modeNotOffered.code : lastError.rawValue,
                    operation: operation + " (it offers \(offered))")
            }
            let settings = UVCStreamSettings(
                format: chosen, width: frame.width, height: frame.height,
                framesPerSecond: control.dwFrameInterval > 0 ? 10_000_000 / Double(control.dwFrameInterval) : 0,
                maxFrameBytes: Int(control.dwMaxVideoFrameSize), maxPayloadBytes: Int(control.dwMaxPayloadTransferSize))
            let stream = UVCStream(settings: settings)
            let sink = Unmanaged.passRetained(FrameSink(stream: stream, handler: handler, format: chosen))
            let started = uvc_start_streaming(handle, &control, frameTrampoline, sink.toOpaque(), 0)
            guard started == UVC_SUCCESS else {
                // A failed start may leave the stream opened (interface claimed): close it; no frame thread runs.
                uvc_stop_streaming(handle)
                sink.release()
                throw UVCError(code: started.rawValue, operation: operation + " (uvc_start_streaming)")
            }
            state.stream = stream
            state.sink = sink
            logger.info("camera streaming", metadata: ["device": "\(id)", "settings": "\(settings)"])
            return stream
        }
    }

    /// Stops the stream, if one runs (`uvc_stop_streaming`: cancels its transfers, waits for them and
    /// for libuvc's frame thread, releases the streaming interface); no frame is handed over after it
    /// returns. Blocks for as long as libusb takes to give the transfers back (milliseconds). `end` is what the
    /// stream's ``UVCStream/ended()`` returns: `.stopped`, or a failure the caller found (a camera gone silent).
    public func stop(_ end: UVCStreamEnd = .stopped) {
        if FrameSink.isFrameThread() {
            // Stopping joins the frame thread: from the handler itself it must happen elsewhere.
            Task.detached { [self] in self.stop(end) }
            return
        }
        calls.withLock { state in endStream(&state, end) }?.finish()
    }

    /// A stream stopped under `calls`, to be told how it ended once `calls` is released: telling resumes the tasks
    /// waiting in ``UVCStream/ended()``, and resuming a task takes its status lock, which a task being cancelled
    /// holds while its cancellation handler waits for `calls` (an unplug seen by both at once deadlocked so).
    private struct EndedStream {
        let stream: UVCStream
        let end: UVCStreamEnd
        func finish() { stream.finish(end) }
    }

    /// Stops the current stream; the caller holds `calls` and calls `finish()` on the result after releasing it.
    private func endStream(_ state: inout CameraState, _ end: UVCStreamEnd) -> EndedStream? {
        guard let stream = state.stream else { return nil }
        uvc_stop_streaming(handle)
        state.sink?.release()
        state.sink = nil
        state.stream = nil
        logger.info("camera stream ended", metadata: ["device": "\(id)", "end": "\(end)", "frames": "\(stream.framesDelivered)"])
        return EndedStream(stream: stream, end: end)
    }

    /// Stops streaming and closes the camera (`uvc_close`, which releases the control interface and
    /// gives it back to uvcvideo, then `uvc_exit`, which leaves the libusb context alone). Idempotent.
    public func close() {
        if FrameSink.isFrameThread() {
            Task.detached { [self] in self.close() }
            return
        }
        closeNow()
    }

    private func closeNow() {
        watcher.withLock { task in
            task?.cancel()
            task = nil
        }
        let (closed, ended) = calls.withLock { state -> (Bool, EndedStream?) in
            guard !state.closed else { return (false, nil) }
            let ended = endStream(&state, .stopped)
            state.closed = true
            uvc_close(handle)
            uvc_exit(context)
            return (true, ended)
        }
        ended?.finish()
        if closed { logger.info("camera closed", metadata: ["device": "\(id)"]) }
    }

    /// Whether the camera has gone away (its stream, if any, has ended with `.unplugged`).
    public var isGone: Bool { calls.withLock { $0.gone } }

    /// libuvc does not tell when its camera goes: its transfers end with NO_DEVICE and it simply
    /// stops resubmitting. The context's hotplug "left" event for this camera ends the stream.
    private func watchForUnplug() {
        guard let events = try? usb.hotplugEvents(includeExisting: false) else {
            logger.warning("no USB hotplug events: an unplugged camera's stream will not end by itself", metadata: ["device": "\(id)"])
            return
        }
        let id = self.id
        let task = Task { [weak self] in
            for await event in events {
                guard case .left(let gone) = event, gone == id else { continue }
                self?.deviceLeft()
                return
            }
        }
        watcher.withLock { $0 = task }
    }

    private func deviceLeft() {
        logger.notice("camera unplugged", metadata: ["device": "\(id)"])
        let ended = calls.withLock { state -> EndedStream? in
            state.gone = true
            guard !state.closed else { return nil }
            return endStream(&state, .failed(UVCError(code: UVCError.unplugged.code, operation: "stream from the camera at \(id)")))
        }
        ended?.finish()
    }

    deinit {
        // Not on the frame thread: a stream's sink holds no reference to the camera.
        closeNow()
    }
}

/// One stream: what was agreed, how many frames arrived, and how it ended.
public final class UVCStream: Sendable {
    public let settings: UVCStreamSettings
    private let state = Mutex<State>(State())
    private let delivered = Atomic<Int>(0)
    private let incomplete = Atomic<Int>(0)

    private struct State {
        var end: UVCStreamEnd?
        var waiters: [CheckedContinuation<UVCStreamEnd, Never>] = []
    }

    init(settings: UVCStreamSettings) {
        self.settings = settings
    }

    /// Frames handed to the handler so far.
    public var framesDelivered: Int { delivered.load(ordering: .acquiring) }

    /// YUYV frames dropped because they were not `width × height × 2` bytes (packets lost on the way:
    /// such a frame cannot be read as an image).
    public var incompleteFrames: Int { incomplete.load(ordering: .acquiring) }

    /// How the stream ended, or nil while it runs.
    public var end: UVCStreamEnd? { state.withLock { $0.end } }

    /// Waits until the stream ends (stop, close, unplug) and says how. Bound the wait yourself.
    public func ended() async -> UVCStreamEnd {
        await withCheckedContinuation { continuation in
            let end = state.withLock { state -> UVCStreamEnd? in
                if let end = state.end { return end }
                state.waiters.append(continuation)
                return nil
            }
            if let end { continuation.resume(returning: end) }
        }
    }

    func countFrame() { delivered.add(1, ordering: .releasing) }
    func countIncomplete() { incomplete.add(1, ordering: .releasing) }

    func finish(_ end: UVCStreamEnd) {
        let waiters = state.withLock { state -> [CheckedContinuation<UVCStreamEnd, Never>] in
            guard state.end == nil else { return [] }
            state.end = end
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: end) }
    }
}

/// What libuvc's callback reaches through its user pointer: the handler and the stream it counts for.
final class FrameSink: Sendable {
    let stream: UVCStream
    let handler: @Sendable (UVCFrame) -> Void
    let format: UVCPixelFormat

    init(stream: UVCStream, handler: @escaping @Sendable (UVCFrame) -> Void, format: UVCPixelFormat) {
        self.stream = stream
        self.handler = handler
        self.format = format
    }

    /// Set on libuvc's frame thread while it runs a handler, so `stop()` from a handler can tell.
    private static let onFrameThread = ThreadFlag()

    static func isFrameThread() -> Bool { onFrameThread.isSet }

    func deliver(_ frame: UnsafeMutablePointer<uvc_frame>) {
        let arrived = MonotonicClock.now()
        let raw = frame.pointee
        if format == .yuyv && raw.data_bytes != Int(raw.width) * Int(raw.height) * 2 {
            stream.countIncomplete()
            return
        }
        let bytes: [UInt8] =
            raw.data == nil || raw.data_bytes == 0 ? [] : Array(UnsafeRawBufferPointer(start: raw.data, count: Int(raw.data_bytes)))
        stream.countFrame()
        Self.onFrameThread.set(true)
        defer { Self.onFrameThread.set(false) }
        handler(
            UVCFrame(
                width: Int(raw.width), height: Int(raw.height), format: format, bytes: bytes, sequence: raw.sequence,
                arrivedAt: arrived))
    }
}

/// A per-thread flag (pthread key): which thread is libuvc's frame thread right now.
final class ThreadFlag: Sendable {
    /// Created once and never deleted: the key lives as long as the process.
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        self.key = key
    }

    var isSet: Bool { pthread_getspecific(key) != nil }

    func set(_ value: Bool) {
        pthread_setspecific(key, value ? UnsafeRawPointer(bitPattern: 1) : nil)
    }
}

/// libuvc calls this on its frame thread, once per complete frame; the frame's buffer is valid only
/// during the call, so `deliver` copies it before anything else.
private let frameTrampoline: @convention(c) (UnsafeMutablePointer<uvc_frame>?, UnsafeMutableRawPointer?) -> Void = { frame, user in
    guard let frame, let user else { return }
    Unmanaged<FrameSink>.fromOpaque(user).takeUnretainedValue().deliver(frame)
}
