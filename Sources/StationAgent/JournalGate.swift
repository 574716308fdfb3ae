public import ScanJournal
import Synchronization

/// The journal as the running agent reaches it: opened (and integrity-checked) on a thread of its
/// own while the agent already reads its scanners.
///
/// Opening runs `PRAGMA quick_check` over the whole file: about 27 s for a year of a busy depot
/// (10 million events, 2.7 GB) on this machine, longer on an SD card. Done before READY=1, that
/// would exceed systemd's start timeout and loop. Scans read meanwhile wait here, unacknowledged
/// (no good-read is given before their commit), and go in as soon as the journal is open; if it
/// cannot be opened (damaged, newer schema, unwritable) every waiting scan is refused and the
/// agent stops with the reason.
public final class JournalGate: Sendable {
    private enum State {
        case opening([CheckedContinuation<Result<ScanJournal, AgentError>, Never>])
        case open(ScanJournal)
        case failed(AgentError)
    }

    private let state = Mutex<State>(.opening([]))

    public init() {}

    /// A gate that is already open (tests, and callers that opened the journal themselves).
    public init(open journal: ScanJournal) {
        state.withLock { $0 = .open(journal) }
    }

    /// The journal once it is open.
    /// - Throws: why it could not be opened.
    public func journal() async throws(AgentError) -> ScanJournal {
        let result: Result<ScanJournal, AgentError> = await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<ScanJournal, AgentError>? in
                switch state {
                case .opening(var waiters):
                    waiters.append(continuation)
                    state = .opening(waiters)
                    return nil
                case .open(let journal): return .success(journal)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }

    /// The journal if it is open now, without waiting.
    public var current: ScanJournal? {
        state.withLock { state in
            if case .open(let journal) = state { return journal }
            return nil
        }
    }

    /// Whether opening has finished, either way.
    public var isSettled: Bool {
        state.withLock { state in
            if case .opening = state { return false }
            return true
        }
    }

    /// Opens the journal with `opener` on a thread of its own (the open blocks on disk reads) and lets the waiting
    /// scans through, or refuses them. `published` runs once the journal is reachable through ``current`` and
    /// before any waiting scan is submitted.
    public func open(
        _ opener: @escaping @Sendable () throws(AgentError) -> ScanJournal,
        published: (ScanJournal) -> Void
    ) async -> Result<ScanJournal, AgentError> {
        let result = await runOnDedicatedThread {
            do throws(AgentError) {
                return Result<ScanJournal, AgentError>.success(try opener())
            } catch {
                return .failure(error)
            }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Result<ScanJournal, AgentError>, Never>] in
            defer {
                switch result {
                case .success(let journal): state = .open(journal)
                case .failure(let error): state = .failed(error)
                }
            }
            if case .opening(let waiters) = state { return waiters }
            return []
        }
        if case .success(let journal) = result { published(journal) }
        for waiter in waiters { waiter.resume(returning: result) }
        return result
    }
}
