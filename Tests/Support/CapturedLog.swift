public import Logging
import Synchronization

/// The messages a logger was given, to check what an operator would read in the journal.
public final class CapturedLog: Sendable {
    public init() {}

    private let lines = Mutex<[(at: ContinuousClock.Instant, message: String)]>([])

    public var messages: [String] { lines.withLock { $0.map(\.message) } }

    /// The messages with the moment each was logged, for checks of how often something is said.
    public var timedMessages: [(at: ContinuousClock.Instant, message: String)] { lines.withLock { $0 } }

    public var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.lines.withLock { $0.append((ContinuousClock.now, "\(event.level): \(event.message)")) }
        }
    }
}
