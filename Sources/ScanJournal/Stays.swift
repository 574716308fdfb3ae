public import StationTime
import ParcelRules

/// The `stays` table (schema v2): each counted, not undone `received` event opens a stay; the release that moves
/// the parcel out closes it. A parcel is in stock at an instant `t` when one of its stays has `in_ns < t` and no
/// `out_ns`, or `out_ns >= t` (times are effective times: corrected where the clock was fixed later).
///
/// Counting the stays that contain `t` uses two index range scans, so its cost does not grow with the journal:
/// - stays that began in the last ``longStayNanos`` before `t` (`stays_in`, a window of about a week of receipts);
/// - older stays that contain `t`: these are longer than ``longStayNanos`` (or still open), and only such stays are
///   in the partial index `stays_long` — a small set at a station where most parcels are collected within days.
enum StayQueries {
    /// Stays longer than this (and open ones) are in `stays_long`. Part of the schema: changing it needs a migration.
    static let longStayNanos: Int64 = 7 * 86_400 * 1_000_000_000
    /// The partial index's condition, spelled identically in the query so SQLite can use it.
    static let longStay = "out_ns IS NULL OR out_ns - in_ns > 604800000000000"

    /// Which stays hold a parcel in stock at `?2` (`?1` = `?2` − ``longStayNanos``), for each of the two scans: the
    /// one definition of in stock that both the counts and the list use.
    static let recentCondition = "in_ns >= ?1 AND in_ns < ?2 AND (out_ns IS NULL OR out_ns >= ?2)"
    static let longCondition = "(\(longStay)) AND in_ns < ?1 AND (out_ns IS NULL OR out_ns >= ?2)"
    /// Stale (`?3`: the stale cut): received before it.
    static let staleCondition = "in_ns < ?3"

    static let recent = """
        SELECT carrier, COUNT(*), SUM(CASE WHEN \(staleCondition) THEN 1 ELSE 0 END) FROM stays INDEXED BY stays_in
        WHERE \(recentCondition) GROUP BY carrier
        """
    static let long = """
        SELECT carrier, COUNT(*), SUM(CASE WHEN \(staleCondition) THEN 1 ELSE 0 END) FROM stays INDEXED BY stays_long
        WHERE \(longCondition) GROUP BY carrier
        """
    /// The same stays one by one, with the device of the receipt (`stock`, SPEC §2).
    static func parcels(index: String, condition: String) -> String {
        """
        SELECT stays.in_seq, stays.code, stays.carrier, stays.in_ns, \(staleCondition), events.device
        FROM stays INDEXED BY \(index) JOIN events ON events.seq = stays.in_seq WHERE \(condition)
        """
    }
    static let recentParcels = parcels(index: "stays_in", condition: recentCondition)
    static let longParcels = parcels(index: "stays_long", condition: longCondition)
}

extension JournalReader {
    /// Parcels in stock at the instant `endNanos` (UTC ns, effective time), and how many of them were received
    /// before `staleBeforeNanos`: SPEC §7 `in_stock_end` and `stale` when `endNanos` is a day's end.
    ///
    /// A parcel is in stock at `endNanos` when it was received (counted, not undone) before it and not released
    /// before it. Events at or after `endNanos` do not matter, so a past day's figure never changes as the journal
    /// grows — unless a clock correction or an undo changes the past.
    public func stock(atNanos endNanos: Int64, staleBeforeNanos: Int64) throws(JournalError) -> StockSummary {
        let (windowStart, overflow) = endNanos.subtractingReportingOverflow(StayQueries.longStayNanos)
        let lower = overflow ? Int64.min : windowStart
        return try run { () throws(SQLiteFailure) in
            var summary = StockSummary()
            for sql in [StayQueries.recent, StayQueries.long] {
                try connection.query(sql, [.integer(lower), .integer(endNanos), .integer(staleBeforeNanos)]) {
                    (row: Row) throws(SQLiteFailure) in
                    let carrier = Carrier(rawValue: row.text(0) ?? Carrier.unknown.rawValue)
                    let inStock = Int(row.int(1))
                    let stale = Int(row.int(2))
                    summary.byCarrier[carrier, default: ParcelCounts()].inStockEnd += inStock
                    summary.byCarrier[carrier, default: ParcelCounts()].stale += stale
                    summary.totals.inStockEnd += inStock
                    summary.totals.stale += stale
                }
            }
            return summary
        }
    }

    /// The parcels ``stock(atNanos:staleBeforeNanos:)`` counts, one by one, oldest receipt first (by effective time,
    /// then seq): the same stays, so the list and the count files' `in_stock_end` and `stale` cannot disagree.
    public func stockParcels(atNanos endNanos: Int64, staleBeforeNanos: Int64) throws(JournalError) -> [StockParcel] {
        let (windowStart, overflow) = endNanos.subtractingReportingOverflow(StayQueries.longStayNanos)
        let lower = overflow ? Int64.min : windowStart
        return try run { () throws(SQLiteFailure) in
            var parcels: [StockParcel] = []
            for sql in [StayQueries.recentParcels, StayQueries.longParcels] {
                try connection.query(sql, [.integer(lower), .integer(endNanos), .integer(staleBeforeNanos)]) {
                    (row: Row) throws(SQLiteFailure) in
                    parcels.append(
                        StockParcel(
                            seq: row.int(0), code: row.text(1) ?? "",
                            carrier: Carrier(rawValue: row.text(2) ?? Carrier.unknown.rawValue), receivedNanos: row.int(3),
                            isStale: row.int(4) != 0, device: row.text(5) ?? ""))
                }
            }
            return parcels.sorted { ($0.receivedNanos, $0.seq) < ($1.receivedNanos, $1.seq) }
        }
    }

    /// The business days in `zone` that have at least one event (by effective time), oldest first, optionally only
    /// those whose range intersects `[fromNanos, toNanos)`. One indexed lookup per day found, so listing the days of
    /// a year-long journal is cheap.
    public func eventDays(in zone: StationTimeZone, fromNanos: Int64? = nil, toNanos: Int64? = nil) throws(JournalError)
        -> [LocalDate]
    {
        try run { () throws(SQLiteFailure) in
            var days: [LocalDate] = []
            var cursor = try connection.scalar(
                "SELECT MIN(effective_ns) FROM events WHERE effective_ns >= ?", [.integer(fromNanos ?? Int64.min)])
            while let instant = cursor {
                if let toNanos, instant >= toNanos { break }
                let day = zone.businessDay(utcNanos: instant)
                days.append(day)
                let end = zone.dayRangeNanos(day).upperBound
                cursor = try connection.scalar(
                    "SELECT MIN(effective_ns) FROM events WHERE effective_ns >= ?", [.integer(max(end, instant + 1))])
            }
            return days
        }
    }
}
