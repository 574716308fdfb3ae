import HumanWords
public import Logging
public import ServiceLifecycle
import ScanJournal
import StationTime
import StoreClient
import Synchronization
import SystemSupport

/// The agent's uploader (SPEC §8), a service of `run`: a pass over the outbox after every refresh of the count
/// files (``trigger()``), at start, and every `interval_seconds` anyway; after a failure, retries from 2 s doubling
/// up to `interval_seconds`. Each pass runs on a thread of its own, never on the scan path or Swift's cooperative
/// threads. A problem is logged once when it starts (with the fix), again only when it changes, and once more when
/// it ends; retries in between are at debug level.
public final class UploadService: Service, Sendable {
    let uploader: Uploader
    let intervalNanos: Int64
    let logger: Logger
    private let wakeup = Wakeup()
    private let state = Mutex(State())

    struct State {
        var status = UploadStatus()
        var reportedKind: String?
        var failures = 0
        var reportedOffset: Int64?
        var unreadable: Set<String> = []
        var stopping = false
    }

    public static let firstRetryNanos: Int64 = 2_000_000_000

    public init(uploader: Uploader, intervalSeconds: Int, logger: Logger) {
        self.uploader = uploader
        self.intervalNanos = Int64(intervalSeconds) * 1_000_000_000
        self.logger = logger
    }

    /// Asks for a pass soon (the count files were just rewritten).
    public func trigger() { wakeup.signal() }

    /// What the uploader is doing now.
    public var status: UploadStatus { state.withLock { $0.status } }

    /// The wait before the next pass after `failures` failed passes in a row (0: the regular interval).
    public func backoffNanos(failures: Int) -> Int64 {
        guard failures > 0 else { return intervalNanos }
        let shift = min(failures - 1, 20)
        return min(intervalNanos, Self.firstRetryNanos << Int64(shift))
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            guard let pass = await passOffThread() else { break }
            let failures = record(pass)
            let wait = backoffNanos(failures: failures)
            // Until the wait is over, a trigger (fresh count files) or the stop, whichever comes first.
            _ = try? await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await Task.sleep(for: .nanoseconds(wait)) }
                    group.addTask { [wakeup = self.wakeup] in await wakeup.wait() }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
        state.withLock { $0.stopping = true }
    }

    /// One pass on a thread of its own. At a stop the agent does not wait for a request in flight: the file is
    /// acknowledged only once its answer is recorded, so it is simply sent again at the next start. Nil: stopping.
    private func passOffThread() async -> UploadPass? {
        let box = PassBox()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UploadPass?, Never>) in
                guard box.install(continuation) else { return }
                let work: @Sendable () -> Void = { [self] in
                    let pass = uploader.pass(shouldStop: { self.state.withLock { $0.stopping } })
                    box.resume(pass)
                }
                if case .failure = startThread(detached: true, work) { work() }
            }
        } onCancel: {
            state.withLock { $0.stopping = true }
            box.resume(nil)
        }
    }

    /// Logs what changed and updates the status; returns the number of failed passes in a row.
    private func record(_ pass: UploadPass) -> Int {
        let now = SystemClock.wallNanos()
        var lines: [(Logger.Level, String)] = []
        let failures: Int = state.withLock { state in
            if !pass.sent.isEmpty {
                lines.append((.info, "sent to the county store: \(pass.sent.joined(separator: ", "))"))
            }
            if let offset = uploader.client.clockOffsetSeconds, abs(offset) >= 60,
               state.reportedOffset.map({ abs($0 - offset) >= 300 }) ?? true {
                state.reportedOffset = offset
                lines.append((.warning,
                    "this box's clock is \(UploadStatus.age(abs(offset) * 1_000_000_000)) \(offset > 0 ? "behind" : "ahead of") the county store's: uploads are signed with the store's time; set the clock (timedatectl, or network time) so events get the right time"))
            }
            for (name, error) in pass.skipped.sorted(by: { $0.key < $1.key }) {
                lines.append((.error, "\(name) NOT uploaded, it waits: \(error)"))
            }
            if let problem = pass.ledgerFailure {
                lines.append((.error, "upload stopped: \(problem)"))
            }
            if let failure = pass.failure {
                state.failures += 1
                let kind = failure.kindKey
                if kind != state.reportedKind {
                    state.reportedKind = kind
                    lines.append((.error,
                        "count files NOT uploaded, \(pass.waiting.count) waiting (retrying, up to every \(intervalNanos / 1_000_000_000) s): \(failure)"))
                } else {
                    lines.append((.debug, "upload retry failed: \(failure)"))
                }
                let problem = try? uploader.ledger.recordProblem(target: uploader.target, kind: kind, message: "\(failure)", atNanos: now)
                state.status.problem = failure.statusWords
                state.status.waitingSinceNanos = problem?.sinceNanos ?? state.status.waitingSinceNanos ?? now
            } else {
                if state.reportedKind != nil, pass.ledgerFailure == nil {
                    lines.append((.notice, "the county store accepts count files again"))
                }
                state.reportedKind = nil
                state.failures = pass.ledgerFailure == nil ? 0 : state.failures + 1
                state.status.problem = pass.ledgerFailure == nil ? (pass.skipped.isEmpty ? nil : pass.skipped.values.first?.statusWords) : Words("the upload ledger cannot be written")
                if pass.waiting.isEmpty {
                    state.status.waitingSinceNanos = nil
                    state.status.allSentAtNanos = now
                }
            }
            state.status.waiting = pass.waiting.count
            return state.failures
        }
        for (level, line) in lines { logger.log(level: level, "\(line)") }
        return failures
    }
}

/// Hands a pass's result to the waiting task once: from the thread when it ends, or `nil` when the task is cancelled.
private final class PassBox: Sendable {
    private let slot = Mutex<(continuation: CheckedContinuation<UploadPass?, Never>?, done: Bool)>((nil, false))

    /// False when already resumed (cancelled before the continuation existed).
    func install(_ continuation: CheckedContinuation<UploadPass?, Never>) -> Bool {
        let alreadyDone = slot.withLock { slot -> Bool in
            if slot.done { return true }
            slot.continuation = continuation
            return false
        }
        if alreadyDone { continuation.resume(returning: nil) }
        return !alreadyDone
    }

    func resume(_ value: UploadPass?) {
        let continuation = slot.withLock { slot -> CheckedContinuation<UploadPass?, Never>? in
            if slot.done { return nil }
            slot.done = true
            defer { slot.continuation = nil }
            return slot.continuation
        }
        continuation?.resume(returning: value)
    }
}

/// A trigger that is kept until someone waits for it (one pending at most), and a wait that ends when cancelled.
private final class Wakeup: Sendable {
    private let slot = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = slot.withLock { slot -> CheckedContinuation<Void, Never>? in
            guard let waiter = slot.waiter else {
                slot.pending = true
                return nil
            }
            slot.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = slot.withLock { slot -> Bool in
                    if slot.pending || Task.isCancelled {
                        slot.pending = false
                        return true
                    }
                    slot.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = slot.withLock { slot -> CheckedContinuation<Void, Never>? in
                defer { slot.waiter = nil }
                return slot.waiter
            }
            waiter?.resume()
        }
    }
}
