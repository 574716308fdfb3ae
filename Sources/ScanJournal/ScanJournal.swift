public import Logging
public import ParcelRules
public import StationTime
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// How the journal behaves under load and faults.
public struct JournalOptions: Sendable, Hashable {
    /// Scans kept in memory while the disk refuses commits; beyond this, submissions fail with
    /// ``JournalError/backlogFull(path:pending:lastFailure:)`` instead of waiting.
    public var maximumBacklog: Int
    /// Most scans committed in one transaction (bounds the latency of one commit after a backlog).
    public var maximumBatch: Int
    /// First and longest wait between retries of a failed commit.
    public var initialRetryDelayNanos: Int64
    public var maximumRetryDelayNanos: Int64
    /// While commits keep failing the same way, how often the log says so again (it always does when more scans
    /// wait or the failure changes): a reminder for `station-agent scan`, which has no watchdog loop to repeat it.
    public var faultReminderNanos: Int64
    /// A cap on the journal's size in pages (`PRAGMA max_page_count`): commits beyond it fail as "disk full".
    /// Useful to keep the journal from filling a shared SD card; tests use it to simulate a full disk.
    public var maximumPageCount: Int?
    /// Whether opening runs `PRAGMA quick_check` over the whole file (the agent's start does). Without it only the
    /// header and the schema version are checked: a one-line manual `scan` then takes milliseconds instead of
    /// reading a year of a depot's journal (2.7 GB, about 28 s here, minutes on an SD card).
    public var checksIntegrityAtOpen: Bool

    public init(
        maximumBacklog: Int = 10_000, maximumBatch: Int = 2_000, initialRetryDelayNanos: Int64 = 100_000_000,
        maximumRetryDelayNanos: Int64 = 10_000_000_000, faultReminderNanos: Int64 = 60_000_000_000,
        maximumPageCount: Int? = nil, checksIntegrityAtOpen: Bool = true
    ) {
        self.maximumBacklog = maximumBacklog
        self.maximumBatch = maximumBatch
        self.initialRetryDelayNanos = initialRetryDelayNanos
        self.maximumRetryDelayNanos = maximumRetryDelayNanos
        self.faultReminderNanos = faultReminderNanos
        self.maximumPageCount = maximumPageCount
        self.checksIntegrityAtOpen = checksIntegrityAtOpen
    }
}

/// Counters of the writer, for the benchmark, `doctor` and the log.
public struct JournalStatistics: Sendable, Hashable {
    /// Transactions committed (each one fsync).
    public var commits = 0
    /// Scans accepted (committed).
    public var acceptedScans = 0
    /// Commit attempts that failed.
    public var failedCommits = 0
    /// Scans queued or held in memory, not yet committed.
    public var pending = 0
    /// The last commit failure, if any.
    public var lastFailure: String?

    public init() {}
}

/// The scan journal (SPEC §7): SQLite at `<data_dir>/journal.sqlite3`, one writer that commits in groups.
///
/// Producers (every USB device's task, the `scan` command) call ``submit(_:)``. One writer thread takes everything
/// queued, decides each scan with ``ScanRules`` in order against the journal's state — inside the transaction,
/// so a scan sees the earlier scans of its own batch — inserts them, commits once (one fsync for the group) and
/// only then resumes each submitter with its ``AcceptedScan``. Scans arriving during a commit go into the next.
/// Nothing is reported accepted before its transaction committed (SPEC §1), so feedback can never get ahead of
/// the disk. When the disk refuses (full, read-only, I/O errors) the scans wait in memory, up to
/// ``JournalOptions/maximumBacklog``, and the commit is retried with backoff.
public final class ScanJournal: Sendable {
    /// `<data_dir>/journal.sqlite3`.
    public let path: String
    let mailbox: WriterMailbox

    /// The journal's file in a data directory.
    public static func path(dataDirectory: String) -> String { dataDirectory + "/journal.sqlite3" }

    /// Opens (or creates) the journal and starts its writer.
    ///
    /// - Throws: ``JournalError/notWritable(path:detail:)`` for a read-only or unwritable data directory,
    ///   ``JournalError/newerSchema(path:found:supported:)``, ``JournalError/corrupt(path:detail:)`` (the file is
    ///   left untouched), or another ``JournalError``.
    public init(
        dataDirectory: String, rules: ScanRules = ScanRules(), options: JournalOptions = JournalOptions(),
        logger: Logger = Logger(label: "station-agent.journal")
    ) throws(JournalError) {
        let path = Self.path(dataDirectory: dataDirectory)
        let connection = try Schema.openForWriting(
            dataDirectory: dataDirectory, path: path, maximumPageCount: options.maximumPageCount,
            checkIntegrity: options.checksIntegrityAtOpen)
        self.path = path
        self.mailbox = WriterMailbox(rules: rules, path: path, backlogLimit: options.maximumBacklog)
        let writer = Writer(
            connection: connection, mailbox: mailbox, options: options, logger: logger, path: path,
            photos: PhotoStore(dataDirectory: dataDirectory))
        guard case .success = startThread(detached: true, { writer.run() }) else {
            throw .sqlite(path: path, detail: "cannot start the journal writer thread")
        }
        logger.info("journal open", metadata: ["path": "\(path)"])
    }

    deinit {
        mailbox.requestClose(nil)
    }

    /// Submits a scan and waits until it is committed: only then is it accepted and may feedback be given.
    ///
    /// Cancelling the calling task does not withdraw the scan: it was read, so it is recorded.
    /// - Throws: ``JournalError/backlogFull(path:pending:lastFailure:)`` when the disk has refused commits for too
    ///   many scans already, ``JournalError/closedBeforeCommit(path:lastFailure:)`` when the journal closed first,
    ///   or the failure of a commit that cannot be retried. Never for a scan that was committed.
    public func submit(_ scan: JournalScan) async throws(JournalError) -> AcceptedScan {
        let result = await withCheckedContinuation { continuation in
            mailbox.submit(.scan(scan, continuation))
        }
        return try result.get()
    }

    /// Tells the journal the current clocks: when synchronised, unsynchronised events of the same boot are corrected
    /// (SPEC §7) even if no scan arrives. The agent calls this when it sees the clock become synchronised.
    ///
    /// - Returns: how many events were corrected.
    @discardableResult
    public func observeClock(_ reading: ClockReading) async throws(JournalError) -> Int {
        let result = await withCheckedContinuation { continuation in
            mailbox.submit(.observeClock(reading, continuation))
        }
        return try result.get()
    }

    /// Changes ``JournalOptions/maximumPageCount`` (nil: SQLite's default, effectively unlimited). Held scans are
    /// retried at once.
    public func setMaximumPageCount(_ pages: Int?) async throws(JournalError) {
        let result = await withCheckedContinuation { continuation in
            mailbox.submit(.pageLimit(pages, continuation))
        }
        try result.get()
    }

    /// The rules in force: replaced on SIGHUP; scans already committed keep their decisions.
    public var rules: ScanRules {
        get { mailbox.rules }
        set { mailbox.rules = newValue }
    }

    /// The writer's counters.
    public var statistics: JournalStatistics { mailbox.statistics }

    /// Commits what is queued (or fails it, if the disk still refuses) and stops the writer.
    public func close() async {
        await withCheckedContinuation { continuation in
            mailbox.requestClose(continuation)
        }
    }

    /// A reader on its own connection: it never waits for the writer.
    public func makeReader() throws(JournalError) -> JournalReader {
        try JournalReader(path: path)
    }
}

/// The writer thread's side: owns the write connection.
final class Writer: @unchecked Sendable {
    let connection: Connection
    let mailbox: WriterMailbox
    let options: JournalOptions
    let logger: Logger
    let path: String
    let photos: PhotoStore
    private var held: [Job] = []
    private var delay: Int64
    private var faults: FaultLogPolicy
    private var lastFailure: String?

    init(connection: Connection, mailbox: WriterMailbox, options: JournalOptions, logger: Logger, path: String, photos: PhotoStore) {
        self.connection = connection
        self.photos = photos
        self.mailbox = mailbox
        self.options = options
        self.logger = logger
        self.path = path
        self.delay = options.initialRetryDelayNanos
        self.faults = FaultLogPolicy(reminderNanos: options.faultReminderNanos)
    }

    private enum JobResult {
        case accepted(AcceptedScan)
        case corrected(Int)
    }

    /// Takes what is queued (and what waits for the disk), commits it as one transaction, and answers each job:
    /// until the mailbox closes.
    func run() {
        while true {
            let (new, closing) = mailbox.take(limit: max(1, options.maximumBatch - held.count), block: held.isEmpty)
            var batch = held + new
            held = []
            if batch.isEmpty {
                if closing { break }
                continue
            }
            batch = runControlJobs(batch)
            if batch.isEmpty { continue }
            switch commit(batch, rules: mailbox.rules) {
            case .success(let results):
                answer(batch, with: results)
            case .failure(let failure):
                mailbox.update { $0.failedCommits += 1 }
                let error = Schema.classify(failure, path: path, opening: false)
                lastFailure = error.description
                if failure.isRetryable && !closing {
                    holdForRetry(batch, error)
                } else {
                    giveUp(batch, error, closing: closing)
                }
            }
        }
        // Close before waking `close()` callers, so a reopen finds the file released and checkpointed.
        connection.close()
        mailbox.finish(lastFailure: lastFailure)
        logger.info("journal closed", metadata: ["path": "\(path)"])
    }

    /// Runs the control jobs (outside any transaction) and returns the rest.
    private func runControlJobs(_ batch: [Job]) -> [Job] {
        batch.filter { job in
            guard case .pageLimit(let pages, let continuation) = job else { return true }
            do throws(SQLiteFailure) {
                try connection.execute("PRAGMA max_page_count = \(pages ?? 1_073_741_823)")
                continuation.resume(returning: .success(()))
            } catch {
                continuation.resume(returning: .failure(Schema.classify(error, path: path, opening: false)))
            }
            return false
        }
    }

    /// A committed batch: counters first (so a submitter that wakes up sees them), then every submitter resumed.
    private func answer(_ batch: [Job], with results: [JobResult]) {
        let scans = batch.filter(\.isScan).count
        mailbox.update {
            $0.commits += 1
            $0.acceptedScans += scans
        }
        mailbox.setHeld(0, failure: nil)
        for (job, result) in zip(batch, results) {
            switch (job, result) {
            case (.scan(_, let continuation), .accepted(let accepted)):
                continuation.resume(returning: .success(accepted))
            case (.observeClock(_, let continuation), .corrected(let count)):
                continuation.resume(returning: .success(count))
            default:
                preconditionFailure("job and result out of step")
            }
        }
        if faults.recovered() {
            logger.notice("journal writable again: committed the \(scans) scans held in memory", metadata: ["path": "\(path)"])
        }
        delay = options.initialRetryDelayNanos
    }

    /// The disk refused (full, read-only, busy): the scans wait in memory and the commit is retried with backoff.
    /// Only scans wait: a clock observation is answered now (its caller, the watchdog loop, must not stall), and a
    /// later synchronised scan corrects the boot's times anyway.
    private func holdForRetry(_ batch: [Job], _ error: JournalError) {
        held = batch.filter(\.isScan)
        for job in batch where !job.isScan { job.fail(error) }
        mailbox.setHeld(held.count, failure: error.description)
        let level = faults.level(held: held.count, failure: error.description, now: ContinuousClock.now)
        logger.log(
            level: level,
            """
            journal cannot commit: \(error); \(held.count) scans held in memory (at most \
            \(options.maximumBacklog)), none reported accepted; retrying in \(delay / 1_000_000) ms
            """,
            metadata: ["path": "\(path)"])
        mailbox.pause(nanoseconds: delay)
        delay = min(delay * 2, options.maximumRetryDelayNanos)
    }

    /// A failure that retrying cannot mend, or the journal closing: every job fails, and the scans' devices and
    /// codes go to the log so a supervisor can enter them once the disk is mended.
    private func giveUp(_ batch: [Job], _ error: JournalError, closing: Bool) {
        let codes = batch.compactMap { job -> String? in
            guard case .scan(let scan, _) = job else { return nil }
            return "\(scan.input.device): \(scan.input.text.debugDescription)"
        }
        logger.error(
            """
            journal commit failed: \(error); \(codes.count) scans were NOT recorded\
            \(codes.isEmpty ? "" : ": " + codes.prefix(200).joined(separator: ", "))\
            \(codes.count > 200 ? ", and \(codes.count - 200) more" : "")
            """,
            metadata: ["path": "\(path)"])
        let reported: JournalError = closing ? .closedBeforeCommit(path: path, lastFailure: error.description) : error
        for job in batch { job.fail(reported) }
        mailbox.setHeld(0, failure: error.description)
    }

    /// One transaction: decide every job in order against the state including the batch's earlier scans, record,
    /// commit. Nothing of it is visible (or reported) unless the commit succeeds.
    private func commit(_ batch: [Job], rules: ScanRules) -> Result<[JobResult], SQLiteFailure> {
        let store = EventStore(connection: connection)
        // Photos written in this transaction: removed again if it does not commit.
        var written: [PhotoReference] = []
        do {
            let results = try connection.inTransaction { () throws(SQLiteFailure) -> [JobResult] in
                // Read inside the transaction: another process (`station-agent scan`) may have appended since.
                var chain = try ChainHead.read(connection)
                var results: [JobResult] = []
                results.reserveCapacity(batch.count)
                // Boots whose unsynchronised events were corrected in this transaction and have had none since.
                var corrected: Set<String> = []
                for job in batch {
                    switch job {
                    case .scan(var scan, _):
                        let decision = try rules.decide(scan.input, state: store)
                        if let pending = scan.pendingPhoto, scan.photo == nil {
                            scan.photo = keep(pending, seq: chain.seq + 1, device: scan.input.device)
                            if let photo = scan.photo { written.append(photo) }
                        }
                        let seq = try store.record(decision, scan: scan, chain: &chain)
                        let boot = scan.input.time.bootID
                        if scan.clockSynchronized {
                            if !corrected.contains(boot) {
                                _ = try store.correct(
                                    bootID: boot, wallNanos: scan.input.time.wallNanos,
                                    monotonicNanos: scan.input.time.monotonicNanos)
                                corrected.insert(boot)
                            }
                        } else {
                            corrected.remove(boot)
                        }
                        results.append(.accepted(AcceptedScan(seq: seq, decision: decision, photo: scan.photo)))
                    case .observeClock(let reading, _):
                        var count = 0
                        if reading.isSynchronized {
                            count = try store.correct(
                                bootID: reading.bootID, wallNanos: reading.wallNanos, monotonicNanos: reading.monotonicNanos)
                            corrected.insert(reading.bootID)
                        }
                        results.append(.corrected(count))
                    case .pageLimit:
                        preconditionFailure("control jobs run outside transactions")
                    }
                }
                return results
            }
            return .success(results)
        } catch {
            for photo in written { photos.discard(photo) }
            return .failure(error)
        }
    }
}

extension Writer {
    /// Writes the release photo of the event `seq` about to be recorded (SPEC §4: synced before the commit). A photo
    /// that cannot be written leaves the event without one, said in the log; a commit that then fails removes it
    /// again (``commit(_:rules:)``).
    fileprivate func keep(_ photo: PendingPhoto, seq: Int64, device: String) -> PhotoReference? {
        do {
            return try photos.write(photo, seq: seq)
        } catch {
            logger.warning(
                "release photo of event \(seq) NOT kept: \(error); the scan is recorded without its photo",
                metadata: ["device": "\(device)"])
            return nil
        }
    }
}

/// When a failing commit is worth a log line, and at which level: the first failure is critical; after it, a retry
/// is worth an error line only when it holds more scans, or fails differently, than the last line said, or as a
/// reminder every `reminderNanos` (`station-agent scan` has no watchdog loop to repeat it); otherwise debug.
public struct FaultLogPolicy: Sendable {
    public let reminderNanos: Int64
    public private(set) var faulted = false
    private var lastLogged: (held: Int, failure: String, at: ContinuousClock.Instant)?

    public init(reminderNanos: Int64) {
        self.reminderNanos = reminderNanos
    }

    /// The level of the line for a failed commit holding `held` scans.
    public mutating func level(held: Int, failure: String, now: ContinuousClock.Instant) -> Logger.Level {
        let level: Logger.Level
        if !faulted {
            level = .critical
        } else if let last = lastLogged, last.held == held, last.failure == failure, now - last.at < .nanoseconds(reminderNanos) {
            level = .debug
        } else {
            level = .error
        }
        if level != .debug { lastLogged = (held, failure, now) }
        faulted = true
        return level
    }

    /// A commit succeeded: whether that ends a fault (worth a "writable again" line).
    public mutating func recovered() -> Bool {
        defer {
            faulted = false
            lastLogged = nil
        }
        return faulted
    }
}
