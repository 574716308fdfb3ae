import CSQLite
public import ParcelRules
public import StationTime

/// Reads the journal on its own read-only connection. With WAL a reader sees the last committed state and never
/// waits for the writer (nor the writer for it).
///
/// One reader per task or thread (it holds one SQLite connection); open as many as needed.
public final class JournalReader {
    public let path: String
    let connection: Connection
    var store: EventStore { EventStore(connection: connection) }

    /// Opens the journal at `path` for reading.
    ///
    /// - Throws: ``JournalError/noJournal(path:)`` when there is none yet, ``JournalError/newerSchema(path:found:supported:)``,
    ///   ``JournalError/corrupt(path:detail:)``.
    /// - Parameter statementTimeLimit: bounds every statement (for `doctor` and `verify`, which must answer even on
    ///   a damaged or planted file: past it a statement fails with ``JournalError/tooSlow(path:seconds:)``).
    public init(path: String, statementTimeLimit: Duration? = nil) throws(JournalError) {
        self.path = path
        let limit = statementTimeLimit.map { UInt64(max(0, $0.components.seconds)) * 1_000_000_000 }
        self.connection = try Schema.openForReading(path: path, statementTimeLimitNanos: limit)
    }

    /// Opens `<dataDirectory>/journal.sqlite3` for reading.
    public convenience init(dataDirectory: String) throws(JournalError) {
        try self.init(path: ScanJournal.path(dataDirectory: dataDirectory))
    }

    func run<T>(_ body: () throws(SQLiteFailure) -> T) throws(JournalError) -> T {
        do {
            return try body()
        } catch {
            if error.primary == SQLITE_INTERRUPT, let limit = connection.statementTimeLimitNanos {
                throw .tooSlow(path: path, seconds: Int(limit / 1_000_000_000))
            }
            throw Schema.classify(error, path: path, opening: false)
        }
    }

    /// The events of a business day (by effective time: corrected where the clock was fixed later, else wall
    /// time) in `zone`, optionally of one normalised code, in journal order.
    public func events(on date: LocalDate, in zone: StationTimeZone, code: String? = nil) throws(JournalError)
        -> [JournalEvent]
    {
        let range = zone.dayRangeNanos(date)
        return try run { () throws(SQLiteFailure) in
            if let code {
                return try store.events(
                    where: "code = ? AND effective_ns >= ? AND effective_ns < ?",
                    [.text(code), .integer(range.lowerBound), .integer(range.upperBound)], index: "events_code")
            }
            return try store.events(
                where: "effective_ns >= ? AND effective_ns < ?", [.integer(range.lowerBound), .integer(range.upperBound)],
                index: "events_effective")
        }
    }

    /// Every event of one normalised code, in journal order (a dispute about one parcel).
    public func events(code: String) throws(JournalError) -> [JournalEvent] {
        try run { () throws(SQLiteFailure) in try store.events(where: "code = ?", [.text(code)], index: "events_code") }
    }

    /// Events with `seq` after `afterSeq`, in journal order, at most `limit` (for paging through everything).
    public func events(after afterSeq: Int64, limit: Int) throws(JournalError) -> [JournalEvent] {
        try run { () throws(SQLiteFailure) in try store.events(where: "seq > ?", [.integer(afterSeq)], limit: limit) }
    }

    /// One event.
    public func event(seq: Int64) throws(JournalError) -> JournalEvent? {
        try run { () throws(SQLiteFailure) in try store.events(where: "seq = ?", [.integer(seq)]).first }
    }

    /// Every event's release photo (camera devices, SPEC §4), in journal order, with the event's effective time
    /// (corrected where the clock was fixed later).
    public func photos() throws(JournalError) -> [(seq: Int64, photo: PhotoReference, effectiveNanos: Int64)] {
        var photos: [(seq: Int64, photo: PhotoReference, effectiveNanos: Int64)] = []
        try run { () throws(SQLiteFailure) in
            try connection.query(
                "SELECT seq, photo_path, photo_sha256, effective_ns FROM events WHERE photo_path IS NOT NULL ORDER BY seq", []
            ) { (row: Row) throws(SQLiteFailure) in
                photos.append((row.int(0), PhotoReference(path: row.text(1) ?? "", sha256: row.blob(2)), row.int(3)))
            }
        }
        return photos
    }

    /// The newest sequence number, nil for an empty journal.
    public func lastSeq() throws(JournalError) -> Int64? {
        try run { () throws(SQLiteFailure) in try connection.scalar("SELECT MAX(seq) FROM events") }
    }

    /// How many events the journal holds.
    public func eventCount() throws(JournalError) -> Int64 {
        try run { () throws(SQLiteFailure) in try connection.scalar("SELECT COUNT(*) FROM events") ?? 0 }
    }

    /// A parcel's current state: the state after its newest counted event (absent without one).
    public func parcelState(code: String) throws(JournalError) -> ParcelState {
        try newestCountedEvent(code: code)?.stateAfter ?? .absent
    }

    /// The numbers of one business day (SPEC §7 totals, by carrier, by device, by hour, clock, journal range), the
    /// stock aside (``stock(atNanos:staleBeforeNanos:)``).
    ///
    /// With `throughSeq`, the day as the journal held it when its newest event was `throughSeq`: later events left
    /// out, and an event undone by a later undo not yet undone (what a count file written then said; `verify`
    /// checks an open day's file that is older than the journal this way). Clock corrections made since are not
    /// undone: the caller must not compare days that hold corrected events.
    public func summary(of date: LocalDate, in zone: StationTimeZone, throughSeq: Int64? = nil) throws(JournalError) -> DaySummary {
        let range = zone.dayRangeNanos(date)
        var summary = DaySummary(date: date, timezone: zone.identifier, range: range)
        // Only the columns the numbers need (a day of a busy depot has tens of thousands of events: decoding whole
        // events, raw bytes and USB identity included, was most of `counts`' time).
        var hours = HourOfDay(zone: zone)
        let limit = throughSeq ?? Int64.max
        try run { () throws(SQLiteFailure) in
            try connection.query(
                """
                SELECT seq, outcome, carrier, device, wall_ns, corrected_ns, clock_synced, undone, undone_by, hash
                FROM events INDEXED BY events_effective WHERE effective_ns >= ? AND effective_ns < ? AND seq <= ?
                ORDER BY seq
                """,
                [.integer(range.lowerBound), .integer(range.upperBound), .integer(limit)]
            ) { (row: Row) throws(SQLiteFailure) in
                let seq = row.int(0)
                let outcome = Outcome(rawValue: row.text(1) ?? "") ?? .rejected
                let carrier = row.text(2).map(Carrier.init(rawValue:))
                let device = row.text(3) ?? ""
                let corrected = row.optionalInt(5)
                let effective = corrected ?? row.int(4)
                // Undone as the journal stood at `throughSeq`: an undo after it had not happened yet.
                let undone = row.int(7) != 0 && (row.optionalInt(8).map { $0 <= limit } ?? true)
                summary.totals.count(outcome, undone: undone)
                summary.byDevice[device, default: ParcelCounts()].count(outcome, undone: undone)
                if let carrier { summary.byCarrier[carrier, default: ParcelCounts()].count(outcome, undone: undone) }
                if !undone {
                    let counted = outcome.countedAs
                    if counted.contains(.inbound) || counted.contains(.outbound) {
                        let hour = hours.hour(utcNanos: effective)
                        if counted.contains(.inbound) { summary.byHour[hour].inbound += 1 }
                        if counted.contains(.outbound) { summary.byHour[hour].outbound += 1 }
                    }
                }
                if row.int(6) == 0 {
                    summary.unsyncedEvents += 1
                    if corrected != nil { summary.correctedEvents += 1 }
                }
                summary.firstSeq = summary.firstSeq ?? seq
                summary.lastSeq = seq
                summary.lastHash = row.blob(9)
            }
        }
        return summary
    }

    /// The full `PRAGMA integrity_check` (for `doctor` and `verify`), with the schema version and event count.
    public func integrity() throws(JournalError) -> JournalIntegrity {
        try run { () throws(SQLiteFailure) in
            let messages = try connection.texts("PRAGMA integrity_check")
            return JournalIntegrity(
                path: path, isOK: messages == ["ok"], messages: messages,
                schemaVersion: Int(try connection.scalar("PRAGMA user_version") ?? 0),
                eventCount: try connection.scalar("SELECT COUNT(*) FROM events") ?? 0,
                lastSeq: try connection.scalar("SELECT MAX(seq) FROM events"))
        }
    }
}

/// The rules can be asked against a reader (what would this scan do now?) — the same indexed queries the writer uses.
extension JournalReader: RuleState {
    public typealias Failure = JournalError

    public func newestCountedEvent(code: String) throws(JournalError) -> CountedEvent? {
        try run { () throws(SQLiteFailure) in try store.newestCountedEvent(code: code) }
    }

    public func newestCountedEvent(code: String, device: String, direction: Direction) throws(JournalError) -> CountedEvent? {
        try run { () throws(SQLiteFailure) in try store.newestCountedEvent(code: code, device: device, direction: direction) }
    }

    public func newestCountedEvent(device: String) throws(JournalError) -> CountedEvent? {
        try run { () throws(SQLiteFailure) in try store.newestCountedEvent(device: device) }
    }

    public func switchableMode(device: String) throws(JournalError) -> Direction? {
        try run { () throws(SQLiteFailure) in try store.switchableMode(device: device) }
    }
}

