public import Logging
public import ServiceLifecycle
public import StationTime
public import ScanJournal
import Synchronization

/// Keeps the outbox's count files current while the agent runs (SPEC §7), as a service of `run`:
///
/// - at start, every past day that has events (or a non-final file) and whose files are missing or not final is
///   finalised — the box may have been off at midnight;
/// - today's files are rewritten every `count_refresh_seconds` with `"final": false`;
/// - a day's final files are written once, ``CountSettings/graceNanos`` after its end (until then it is refreshed
///   like today);
/// - ``stop()`` (from `run`'s stop hook, after the journal committed and closed) refreshes once more.
///
/// A failure to write (disk full) is logged and retried at the next refresh; the previous files stay intact.
public final class CountRefresher: Service, Sendable {
    /// The settings in force: replaced by ``reconfigure(_:)`` on SIGHUP.
    public var settings: CountSettings { current.withLock { $0 } }
    private let current: Mutex<CountSettings>
    let clock: any StationClock
    let logger: Logger

    struct State {
        /// Whether the start-up catch-up ran.
        var caughtUp = false
        /// Days written non-final by this refresher, waiting for their final files.
        var open: Set<LocalDate> = []
        /// The implausible-clock warning was logged.
        var warnedImplausible = false
    }

    /// No count files for days before this: a clock showing an earlier day has not been set.
    public static let earliestPlausibleDay = LocalDate(year: 2025, month: 1, day: 1)!
    private let state = Mutex(State())
    private let afterRefresh = Mutex<[@Sendable () -> Void]>([])

    /// `hook` runs after each refresh of the running agent (the uploader sends what changed).
    public func afterEachRefresh(_ hook: @escaping @Sendable () -> Void) {
        afterRefresh.withLock { $0.append(hook) }
    }

    public init(settings: CountSettings, clock: any StationClock = SystemClock(), logger: Logger) {
        self.current = Mutex(settings)
        self.clock = clock
        self.logger = logger
    }

    /// New settings from a reloaded configuration (SIGHUP): station id and name, time zone, outbox,
    /// `stale_after_days` and `count_refresh_seconds` apply from the next refresh; files already written stay as they
    /// are (`export` rewrites them). The journal's place (the data directory) changes only with a restart.
    public func reconfigure(_ fresh: CountSettings) {
        current.withLock { settings in
            var fresh = fresh
            fresh.dataDirectory = settings.dataDirectory
            settings = fresh
        }
    }

    /// One day's files to write.
    public struct Job: Sendable, Hashable {
        public let date: LocalDate
        public let isFinal: Bool
    }

    /// What one refresh wrote and what failed.
    public struct Report: Sendable {
        public var written: [Job] = []
        public var failures: [String] = []
    }

    /// The days due at `nowNanos`, oldest first: catch-up (first call only), days waiting for their final files,
    /// and today.
    public func plan(nowNanos: Int64, reader: JournalReader) throws(JournalError) -> [Job] {
        let settings = self.settings
        let zone = settings.zone
        let today = zone.businessDay(utcNanos: nowNanos)
        let current = state.withLock { $0 }
        var jobs: [LocalDate: Bool] = [:]
        // A box without a real-time clock boots in 1970: no count files for days before this
        // software existed. Events of such a boot get their corrected day once the clock is
        // synchronised, and their files are written then.
        guard today >= Self.earliestPlausibleDay else {
            if !current.warnedImplausible {
                logger.warning("the clock says \(today): no count files are written until the clock is set (timedatectl, or network time)")
                state.withLock { $0.warnedImplausible = true }
            }
            return []
        }
        if !current.caughtUp {
            let outbox = settings.outbox
            var candidates = Set(try reader.eventDays(in: zone, toNanos: zone.startOfDayNanos(today)))
            for (date, _) in outbox.countFiles(stationID: settings.stationID) where date < today { candidates.insert(date) }
            for date in candidates where date < today && date >= Self.earliestPlausibleDay {
                let closed = settings.isClosed(date, nowNanos: nowNanos)
                if closed && isFinalOnDisk(date, outbox: outbox) { continue }
                jobs[date] = closed
            }
        }
        for date in current.open where date != today && date < today {
            jobs[date] = settings.isClosed(date, nowNanos: nowNanos)
        }
        jobs[today] = false
        state.withLock { $0.caughtUp = true }
        return jobs.keys.sorted().map { Job(date: $0, isFinal: jobs[$0]!) }
    }

    func isFinalOnDisk(_ date: LocalDate, outbox: OutboxDirectory) -> Bool {
        let settings = self.settings
        let paths = outbox.paths(stationID: settings.stationID, date: date)
        guard AtomicFile.read(paths.csv) != nil, let json = AtomicFile.read(paths.json) else { return false }
        return CountDocument.finalFlag(inJSON: String(decoding: json, as: UTF8.self)) == true
    }

    /// Writes one day's files; records whether the day still waits for its final files.
    public func write(_ job: Job, nowNanos: Int64, reader: JournalReader) throws -> CountDocument {
        let settings = self.settings
        var document = try settings.document(for: job.date, reader: reader, nowNanos: nowNanos)
        document.header.isFinal = job.isFinal
        let outbox = settings.outbox
        try outbox.create()
        try outbox.write(document)
        state.withLock {
            if job.isFinal { $0.open.remove(job.date) } else { $0.open.insert(job.date) }
        }
        if job.isFinal { logger.info("count files of \(job.date) final: \(outbox.path)/\(document.baseName).json/.csv") }
        return document
    }

    /// One refresh at `nowNanos`: everything ``plan(nowNanos:reader:)`` says, each day on its own (one failing day
    /// does not stop the others).
    @discardableResult
    public func refresh(nowNanos: Int64) -> Report {
        var report = Report()
        let reader: JournalReader
        do {
            reader = try JournalReader(dataDirectory: settings.dataDirectory)
        } catch .noJournal {
            return report
        } catch {
            logger.error("count files not refreshed: \(error)")
            report.failures.append("\(error)")
            return report
        }
        removeExpiredPhotos(nowNanos: nowNanos, reader: reader)
        let jobs: [Job]
        do {
            jobs = try plan(nowNanos: nowNanos, reader: reader)
        } catch {
            logger.error("count files not refreshed: \(error)")
            report.failures.append("\(error)")
            return report
        }
        for job in jobs {
            do {
                _ = try write(job, nowNanos: nowNanos, reader: reader)
                report.written.append(job)
            } catch {
                logger.error("count files of \(job.date) not written (will retry): \(error)")
                report.failures.append("\(job.date): \(error)")
            }
        }
        return report
    }

    /// SPEC §4 retention: removes the release photos of events whose day is before
    /// ``CountSettings/firstPhotoDayKept(nowNanos:newestEventNanos:)``; the events stay (their `photo` still names
    /// the file, and `verify` knows it is gone by retention). Each photo is judged by its event's day as corrected
    /// (``CountSettings/photoExpired(effectiveNanos:firstKept:)``), not by its folder: a photo taken before the box had
    /// the time is in a folder of 1970 and is kept until its event's real day is past retention.
    func removeExpiredPhotos(nowNanos: Int64, reader: JournalReader) {
        let settings = self.settings
        let store = PhotoStore(dataDirectory: settings.dataDirectory)
        guard let oldest = store.days.first else { return }
        let newest = try? reader.lastSeq().flatMap { try reader.event(seq: $0)?.effectiveNanos }
        guard let firstKept = settings.firstPhotoDayKept(nowNanos: nowNanos, newestEventNanos: newest ?? nil),
            oldest < firstKept.description
        else { return }
        let removed = store.removeExpired(inDaysBefore: firstKept.description) { seq, path in
            do {
                // No event yet: a photo waiting for its commit. Kept (the agent's start removes strays).
                guard let event = try reader.event(seq: seq) else { return false }
                // A file the event does not name (its own photo was not kept): nothing refers to it.
                guard event.photo?.path == path else { return true }
                return settings.photoExpired(effectiveNanos: event.effectiveNanos, firstKept: firstKept)
            } catch {
                return false
            }
        }
        guard removed > 0 else { return }
        logger.info(
            "release photos before \(firstKept) removed (photo_retention_days = \(settings.photoRetentionDays)): \(removed) photo(s); their events stay")
    }

    /// The wait before the next refresh: `count_refresh_seconds`, or less when a day's final files fall due sooner.
    public func nextWaitNanos(nowNanos: Int64) -> Int64 {
        let settings = self.settings
        var wait = settings.refreshNanos
        let today = settings.zone.businessDay(utcNanos: nowNanos)
        let waiting = state.withLock { $0.open } .union([today])
        for date in waiting {
            let due = settings.finalDueNanos(date)
            if due > nowNanos { wait = min(wait, due - nowNanos) }
        }
        return max(wait, 1_000_000_000)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Off the cooperative pool: the first refresh after days off may compute many days' files.
            await runOnDedicatedThread { [self] in _ = refresh(nowNanos: clock.now().wallNanos) }
            for hook in afterRefresh.withLock({ $0 }) { hook() }
            let wait = nextWaitNanos(nowNanos: clock.now().wallNanos)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .nanoseconds(wait)) }
        }
    }

    /// The refresh at stop: `run`'s stop hook calls it once the journal has committed and closed.
    public func stop() {
        let report = refresh(nowNanos: clock.now().wallNanos)
        if report.failures.isEmpty { logger.info("count files refreshed at stop") }
    }
}
