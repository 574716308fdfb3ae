public import ParcelRules
public import ScanJournal
public import StationTime

/// The counters of one slice of a business day (SPEC §7): the day's totals, one carrier, or one device. The same
/// type the rules' reference ledger counts with: one definition of every count.
public typealias CountRow = ParcelCounts

/// Counted inbound and outbound of one local hour (`by_hour`).
public struct HourRow: Sendable, Hashable {
    public let hour: Int
    public var inbound: Int
    public var outbound: Int

    public init(hour: Int, inbound: Int = 0, outbound: Int = 0) {
        self.hour = hour
        self.inbound = inbound
        self.outbound = outbound
    }
}

/// Every number of one business day's count files (SPEC §7), computed from the journal alone.
public struct DayCounts: Sendable, Hashable {
    public let date: LocalDate
    /// The zone the day was cut in (its IANA name).
    public let timezone: String
    /// `[start, end)` of the day, UTC ns.
    public let range: Range<Int64>
    public var totals = CountRow()
    /// Keyed by carrier code: every carrier with an event that day or a parcel in stock at its end.
    public var byCarrier: [String: CountRow] = [:]
    /// 24 entries, local hours 0-23.
    public var byHour: [HourRow] = (0..<24).map { HourRow(hour: $0) }
    /// Keyed by device name (`manual` for manual entries): every device with an event that day.
    public var byDevice: [String: CountRow] = [:]
    public var unsyncedEvents = 0
    public var correctedEvents = 0
    public var firstSeq: Int64?
    public var lastSeq: Int64?
    /// The hash chain at the day's last event (`journal.last_hash`).
    public var lastHash: [UInt8]?

    public init(date: LocalDate, timezone: String, range: Range<Int64>) {
        self.date = date
        self.timezone = timezone
        self.range = range
    }

    /// Carrier codes in the order the files list them (sorted by code, byte order).
    public var carriers: [String] { byCarrier.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) }
    /// Device names in the order the files list them.
    public var devices: [String] { byDevice.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) }
}

/// The one definition of the count files' numbers.
public enum DayCounter {
    static let nanosPerDay: Int64 = 86_400 * 1_000_000_000

    /// Counts business day `date` in `zone`:
    /// - events belong to the day of their effective time (corrected ?? wall), `[start, end)` of the local day;
    /// - `inbound`/`outbound`/`unmatched_outbound`/`by_hour` count the day's counted events that are not undone;
    ///   an undone event adds one to `undone` on its own day, under its own carrier and device (as
    ///   `InMemoryParcelLedger.totals` does), and nothing else;
    /// - `duplicates_suppressed`, `rescans`, `repeat_outbound`, `rejected` count those outcomes of the day;
    /// - `in_stock_end`: parcels received (counted, not undone) before the day's end and not released before it;
    ///   `stale`: of those, received more than `staleAfterDays` × 24 h before the day's end.
    public static func count(
        _ date: LocalDate, in zone: StationTimeZone, staleAfterDays: Int, reader: JournalReader
    ) throws(JournalError) -> DayCounts {
        let summary = try reader.summary(of: date, in: zone)
        let instants = stockInstants(date, in: zone, staleAfterDays: staleAfterDays)
        let stock = try reader.stock(atNanos: instants.end, staleBeforeNanos: instants.staleBefore)
        return assemble(summary, stock)
    }

    /// The day's numbers as the journal held them when its newest event was `throughSeq` (see
    /// ``JournalReader/summary(of:in:throughSeq:)``), with the stock given: the stock of that moment cannot be
    /// recomputed from today's stays, so `verify` takes it from the file it checks and compares everything else.
    public static func count(
        _ date: LocalDate, in zone: StationTimeZone, throughSeq: Int64, stock: StockSummary, reader: JournalReader
    ) throws(JournalError) -> DayCounts {
        assemble(try reader.summary(of: date, in: zone, throughSeq: throughSeq), stock)
    }

    static func assemble(_ summary: DaySummary, _ stock: StockSummary) -> DayCounts {
        var counts = DayCounts(date: summary.date, timezone: summary.timezone, range: summary.range)
        counts.totals = summary.totals
        counts.totals.inStockEnd = stock.totals.inStockEnd
        counts.totals.stale = stock.totals.stale
        for (carrier, row) in summary.byCarrier { counts.byCarrier[carrier.rawValue] = row }
        for (carrier, held) in stock.byCarrier {
            counts.byCarrier[carrier.rawValue, default: CountRow()].inStockEnd = held.inStockEnd
            counts.byCarrier[carrier.rawValue, default: CountRow()].stale = held.stale
        }
        for (device, row) in summary.byDevice { counts.byDevice[device] = row }
        counts.byHour = summary.byHour.map { HourRow(hour: $0.hour, inbound: $0.inbound, outbound: $0.outbound) }
        counts.unsyncedEvents = summary.unsyncedEvents
        counts.correctedEvents = summary.correctedEvents
        counts.firstSeq = summary.firstSeq
        counts.lastSeq = summary.lastSeq
        counts.lastHash = summary.lastHash
        return counts
    }

    /// The instants a day's stock is taken at (`in_stock_end`, `stale`): the day's end, and `staleAfterDays` × 24 h
    /// before it (a parcel received before that is stale). The one place both are computed.
    public static func stockInstants(_ date: LocalDate, in zone: StationTimeZone, staleAfterDays: Int)
        -> (end: Int64, staleBefore: Int64)
    {
        let end = zone.dayRangeNanos(date).upperBound
        let (staleSpan, spanOverflow) = Int64(max(0, staleAfterDays)).multipliedReportingOverflow(by: nanosPerDay)
        let (staleCut, cutOverflow) = end.subtractingReportingOverflow(staleSpan)
        return (end, spanOverflow || cutOverflow ? Int64.min : staleCut)
    }

    /// The parcels `in_stock_end` of day `date` counts, one by one, oldest first, each marked stale as `stale`
    /// counts it: the same stays at the same instants as ``count(_:in:staleAfterDays:reader:)``.
    public static func stock(
        _ date: LocalDate, in zone: StationTimeZone, staleAfterDays: Int, reader: JournalReader
    ) throws(JournalError) -> DayStock {
        let instants = stockInstants(date, in: zone, staleAfterDays: staleAfterDays)
        let parcels = try reader.stockParcels(atNanos: instants.end, staleBeforeNanos: instants.staleBefore)
        return DayStock(date: date, endNanos: instants.end, staleAfterDays: staleAfterDays, parcels: parcels)
    }
}

/// The parcels in stock at the end of one business day (`stock`, SPEC §2): what `in_stock_end` and `stale` count.
public struct DayStock: Sendable, Hashable {
    public let date: LocalDate
    /// The day's end, UTC ns: the instant the stock is taken at.
    public let endNanos: Int64
    public let staleAfterDays: Int
    /// Oldest receipt first.
    public let parcels: [StockParcel]

    public init(date: LocalDate, endNanos: Int64, staleAfterDays: Int, parcels: [StockParcel]) {
        self.date = date
        self.endNanos = endNanos
        self.staleAfterDays = staleAfterDays
        self.parcels = parcels
    }

    /// `in_stock_end`.
    public var inStock: Int { parcels.count }
    /// `stale`.
    public var stale: Int { parcels.count { $0.isStale } }

    /// Whole days (24 h) a parcel will have been in stock at the end of the day: the measure `stale` uses, so a
    /// parcel whose days exceed `stale_after_days` is stale, and one whose days are fewer is not.
    public func days(_ parcel: StockParcel) -> Int {
        let (span, overflow) = endNanos.subtractingReportingOverflow(parcel.receivedNanos)
        return overflow ? Int.max : Int(max(0, span) / DayCounter.nanosPerDay)
    }
}
