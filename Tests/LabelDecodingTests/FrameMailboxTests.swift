import LabelDecoding
import Logging
import StationTestSupport
import Synchronization
import SystemSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a mailbox's handler was given.
private final class Handled: Sendable {
    let frames = Mutex<[(arrival: UInt64, labels: [String])]>([])
    var arrivals: [UInt64] { frames.withLock { $0.map(\.arrival) } }
    var last: (arrival: UInt64, labels: [String])? { frames.withLock { $0.last } }
}

private func nanos() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

@Suite("frame mailbox", .timeLimit(.minutes(1)))
struct FrameMailboxTests {
    @Test("100 frames posted fast to a slow handler: the newest is decoded, the stale ones dropped and counted")
    func newestWins() async throws {
        let handled = Handled()
        let log = CapturedLog()
        let mailbox = FrameMailbox(logger: log.logger) { frame, labels in
            handled.frames.withLock { $0.append((frame.arrivalNanos, labels.map(\.text))) }
            usleep(30_000)
        }
        let image = labelFrame(Scene.tracking)
        var slowestPost: UInt64 = 0
        for index in 0..<100 {
            var frame = Frame(width: 640, height: 480, format: .yuyv, bytes: image.yuyv, arrivalNanos: UInt64(index))
            frame.bytes[0] = UInt8(index)
            let start = nanos()
            mailbox.post(frame)
            slowestPost = max(slowestPost, nanos() - start)
            usleep(1_000)
        }
        #expect(await eventually(seconds: 10) { handled.last?.arrival == 99 }, "the newest frame is decoded")
        mailbox.stop()
        let statistics = mailbox.statistics
        let arrivals = handled.arrivals
        #expect(arrivals.last == 99, "decoded last: \(arrivals)")
        #expect(arrivals == arrivals.sorted(), "in order, newer each time")
        #expect(arrivals.count < 50, "far fewer decoded than posted: \(arrivals.count)")
        #expect(handled.last?.labels == [Scene.tracking])
        #expect(statistics.posted == 100)
        #expect(statistics.decoded == arrivals.count)
        #expect(statistics.failed == 0)
        #expect(statistics.decoded + statistics.dropped == 100, "\(statistics)")
        #expect(slowestPost < 20_000_000, "post never waits for the decoding: slowest \(slowestPost) ns")
    }

    @Test("a corrupt JPEG is counted and logged, and the next frame is decoded")
    func corruptFrame() async throws {
        let handled = Handled()
        let log = CapturedLog()
        let mailbox = FrameMailbox(logger: log.logger) { frame, labels in
            handled.frames.withLock { $0.append((frame.arrivalNanos, labels.map(\.text))) }
        }
        defer { mailbox.stop() }
        let good = try cameraFrame(Scene.clean.image, .mjpeg, at: 2)
        var bad = good
        bad.bytes = Array(good.bytes.prefix(good.bytes.count / 2))
        bad.arrivalNanos = 1
        mailbox.post(bad)
        #expect(await eventually(seconds: 10) { mailbox.statistics.failed == 1 })
        mailbox.post(Frame(width: 640, height: 480, format: .yuyv, bytes: [1, 2, 3], arrivalNanos: 3))
        #expect(await eventually(seconds: 10) { mailbox.statistics.failed == 2 })
        mailbox.post(good)
        #expect(await eventually(seconds: 10) { handled.last?.arrival == 2 })
        #expect(handled.last?.labels == [Scene.tracking])
        let warnings = log.messages.filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 1, "the first bad frame is logged, the next within 10 s only counted: \(log.messages)")
        #expect(warnings.first?.contains("mjpeg frame was not decoded") == true, "\(warnings)")
    }

    @Test("stop joins the worker: nothing is handled after it, later posts are refused, a second stop is harmless")
    func stopJoins() async throws {
        let handled = Handled()
        // The handler holds the first frame until the test lets it go: entered, released, finished.
        let gate = Mutex((entered: false, released: false, finished: false))
        let mailbox = FrameMailbox(logger: CapturedLog().logger) { frame, _ in
            gate.withLock { $0.entered = true }
            while !gate.withLock({ $0.released }) { usleep(1_000) }
            usleep(50_000)
            handled.frames.withLock { $0.append((frame.arrivalNanos, [])) }
            gate.withLock { $0.finished = true }
        }
        let empty = Frame(width: 64, height: 48, format: .gray, bytes: [UInt8](repeating: 100, count: 64 * 48), arrivalNanos: 1)
        mailbox.post(empty)
        #expect(await eventually(seconds: 10) { gate.withLock { $0.entered } })
        var waiting = empty
        waiting.arrivalNanos = 2
        mailbox.post(waiting)
        _ = startThread(detached: true) {
            usleep(100_000)
            gate.withLock { $0.released = true }
        }
        mailbox.stop()
        // stop returned: the frame being handled was finished, the waiting one dropped, the thread is gone.
        #expect(gate.withLock { $0.finished })
        #expect(handled.arrivals == [1])
        mailbox.post(empty)
        mailbox.stop()
        usleep(50_000)
        #expect(handled.arrivals == [1])
        let statistics = mailbox.statistics
        #expect(statistics.posted == 2 && statistics.decoded == 1 && statistics.dropped == 1, "\(statistics)")
        #expect(statistics.failed == 0 && statistics.refused == 1, "\(statistics)")
    }
}
