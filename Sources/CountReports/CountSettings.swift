public import ScanJournal
public import StationTime

/// What the count files need to know about the station, from its configuration.
public struct CountSettings: Sendable {
    /// How long after a day's end its final files are written: the undo window (10 minutes, SPEC §5.8: an undo
    /// just after midnight can still cancel a scan of the day before) plus 5 minutes for commits held back.
    public static let defaultGraceNanos: Int64 = 15 * 60 * 1_000_000_000

    public var stationID: String
    public var stationName: String
    public var zone: StationTimeZone
    public var staleAfterDays: Int
    public var dataDirectory: String
    public var outboxDirectory: String
    /// `count_refresh_seconds`.
    public var refreshNanos: Int64
    public var graceNanos: Int64
    public var agentVersion: String
    /// `photo_retention_days` (SPEC §4): release photos of days before the last this many are removed (the events
    /// stay), and `verify` expects them gone.
    public var photoRetentionDays = 90

    public init(
        stationID: String, stationName: String, zone: StationTimeZone, staleAfterDays: Int, dataDirectory: String,
        outboxDirectory: String, refreshSeconds: Int = 300, graceNanos: Int64 = CountSettings.defaultGraceNanos,
        agentVersion: String
    ) {
        self.stationID = stationID
        self.stationName = stationName
        self.zone = zone
        self.staleAfterDays = staleAfterDays
        self.dataDirectory = dataDirectory
        self.outboxDirectory = outboxDirectory
        self.refreshNanos = Int64(max(1, refreshSeconds)) * 1_000_000_000
        self.graceNanos = graceNanos
        self.agentVersion = agentVersion
    }

    public var outbox: OutboxDirectory { OutboxDirectory(path: outboxDirectory) }

    /// Whether a day is over, grace included: its files are then final.
    public func isClosed(_ date: LocalDate, nowNanos: Int64) -> Bool {
        let (deadline, overflow) = zone.dayRangeNanos(date).upperBound.addingReportingOverflow(graceNanos)
        return !overflow && nowNanos >= deadline
    }

    /// The instant a day's final files are due.
    public func finalDueNanos(_ date: LocalDate) -> Int64 {
        let (deadline, overflow) = zone.dayRangeNanos(date).upperBound.addingReportingOverflow(graceNanos)
        return overflow ? Int64.max : deadline
    }

    /// The count files of `date` as of `nowNanos` (final when the day is closed).
    public func document(for date: LocalDate, reader: JournalReader, nowNanos: Int64) throws(JournalError) -> CountDocument {
        document(for: date, counts: try DayCounter.count(date, in: zone, staleAfterDays: staleAfterDays, reader: reader), nowNanos: nowNanos)
    }

    /// The document of `date` as it read when the journal's newest event was `throughSeq`, with `stock` (see
    /// ``DayCounter/count(_:in:throughSeq:stock:reader:)``).
    public func document(for date: LocalDate, throughSeq: Int64, stock: StockSummary, reader: JournalReader, nowNanos: Int64)
        throws(JournalError) -> CountDocument
    {
        document(for: date, counts: try DayCounter.count(date, in: zone, throughSeq: throughSeq, stock: stock, reader: reader), nowNanos: nowNanos)
    }

    func document(for date: LocalDate, counts: DayCounts, nowNanos: Int64) -> CountDocument {
        CountDocument(
            header: CountFileHeader(
                stationID: stationID, stationName: stationName, isFinal: isClosed(date, nowNanos: nowNanos),
                generatedAt: zone.rfc3339(utcNanos: nowNanos), agentVersion: agentVersion),
            counts: counts)
    }
}

extension CountSettings {
    /// The first business day whose release photos are kept at `nowNanos`: `photo_retention_days` before today. Today
    /// is never taken past the day of the journal's newest event (`newestEventNanos`), so a clock that jumps ahead
    /// while nothing is scanned removes nothing; nil (keep everything) while the clock shows a day before the
    /// software existed.
    public func firstPhotoDayKept(nowNanos: Int64, newestEventNanos: Int64?) -> LocalDate? {
        var today = zone.businessDay(utcNanos: nowNanos)
        guard today >= CountRefresher.earliestPlausibleDay else { return nil }
        if let newestEventNanos { today = min(today, zone.businessDay(utcNanos: newestEventNanos)) }
        return today.adding(days: -photoRetentionDays)
    }

    /// Whether retention has removed (or is to remove) the photo of an event at `effectiveNanos`: its business day is
    /// before `firstKept`. An event whose time was never corrected from a clock before the software existed (a box
    /// that booted without the time and never got it) has no known day: its photo is kept.
    public func photoExpired(effectiveNanos: Int64, firstKept: LocalDate) -> Bool {
        let day = zone.businessDay(utcNanos: effectiveNanos)
        return day >= CountRefresher.earliestPlausibleDay && day < firstKept
    }
}
