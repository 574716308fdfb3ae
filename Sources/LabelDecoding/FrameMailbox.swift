public import Logging
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Hands camera frames from the USB callback thread to one decode thread, newest first.
///
/// ``post(_:)`` stores the frame in a single slot and wakes the worker; it never waits for decoding. A frame still in
/// the slot when a newer one comes is dropped (counted in ``Statistics/dropped``): the worker always decodes the
/// newest frame, and a slow decode costs stale frames, never a growing queue or latency. The worker decodes with
/// ``LabelDecoder`` and calls the handler with the frame and its labels (also when there are none, so
/// ``InViewRule`` sees every decoded frame). A frame that cannot be decoded (a corrupt JPEG, a partial frame) is
/// counted in ``Statistics/failed``, logged (the first, then at most once per ``warningInterval`` with how many
/// since) and dropped. The thread holds the mailbox until ``stop()``: call it when the camera goes.
public final class FrameMailbox: Sendable {
    /// Called on the worker thread for each decoded frame, one at a time.
    public typealias Handler = @Sendable (Frame, [DecodedLabel]) -> Void

    /// Counters since start.
    public struct Statistics: Sendable, Equatable {
        /// Frames given to ``FrameMailbox/post(_:)``.
        public var posted = 0
        /// Frames decoded and handed to the handler.
        public var decoded = 0
        /// Frames replaced by a newer one before the worker took them, or left at stop.
        public var dropped = 0
        /// Frames the decoder rejected (corrupt or partial).
        public var failed = 0
        /// Frames posted after stop (not counted in `posted`).
        public var refused = 0
    }

    /// At most one warning about bad frames per this many nanoseconds (10 s).
    public static let warningInterval: UInt64 = 10_000_000_000

    private struct State: Sendable {
        var pending: Frame?
        var stopping = false
        var statistics = Statistics()
        var lastWarning: UInt64?
        var unreportedFailures = 0
    }

    private let decoder: LabelDecoder
    private let handler: Handler
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeup = Wakeup()
    private let thread = Mutex<pthread_t?>(nil)

    /// Starts the decode thread.
    /// - Parameters:
    ///   - decoder: how frames are read.
    ///   - logger: where bad frames and a failed thread start are reported.
    ///   - handler: given each decoded frame and its labels, on the worker thread.
    public init(decoder: LabelDecoder = LabelDecoder(), logger: Logger, handler: @escaping Handler) {
        self.decoder = decoder
        self.logger = logger
        self.handler = handler
        switch startThread(detached: false, { [self] in self.loop() }) {
        case .success(let handle):
            thread.withLock { $0 = handle }
        case .failure(let error):
            state.withLock { $0.stopping = true }
            logger.error("camera: cannot start the decode thread (\(error)): no labels are read from the camera; restart the agent")
        }
    }

    /// Leaves `frame` for the worker, replacing (dropping) a frame it has not taken yet. Never blocks beyond a
    /// short lock; safe from any thread. After ``stop()`` the frame is refused (counted).
    public func post(_ frame: Frame) {
        let posted = state.withLock { state -> Bool in
            guard !state.stopping else {
                state.statistics.refused += 1
                return false
            }
            state.statistics.posted += 1
            if state.pending != nil { state.statistics.dropped += 1 }
            state.pending = frame
            return true
        }
        if posted { wakeup.post() }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Stops the worker after the frame it is decoding (a frame waiting is dropped) and joins it. Idempotent; call
    /// it from outside the handler (the handler's thread cannot join itself).
    public func stop() {
        state.withLock { state in
            state.stopping = true
            if state.pending != nil {
                state.pending = nil
                state.statistics.dropped += 1
            }
        }
        wakeup.post()
        if let handle = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) {
            pthread_join(handle, nil)
        }
    }

    private func loop() {
        while true {
            wakeup.wait()
            let next = state.withLock { state -> (Frame?, Bool) in
                defer { state.pending = nil }
                return (state.pending, state.stopping)
            }
            guard let frame = next.0 else {
                if next.1 { return }
                continue
            }
            do {
                let labels = try decoder.decode(frame)
                state.withLock { $0.statistics.decoded += 1 }
                handler(frame, labels)
            } catch {
                report(error, frame: frame)
            }
        }
    }

    private func report(_ error: LabelDecodingError, frame: Frame) {
        let now = Self.monotonicNanos()
        let since = state.withLock { state -> Int? in
            state.statistics.failed += 1
            if let last = state.lastWarning, now - last < Self.warningInterval {
                state.unreportedFailures += 1
                return nil
            }
            state.lastWarning = now
            defer { state.unreportedFailures = 0 }
            return state.unreportedFailures
        }
        guard let since else { return }
        let more = since > 0 ? " (and \(since) more bad frames since the last warning)" : ""
        logger.warning("camera: a \(frame.format.rawValue) frame was not decoded: \(error)\(more)")
    }

    private static func monotonicNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

