public import ParcelRules

/// SPEC §7's counters as the count files spell them: the one list of their keys and order, used to write the files
/// (``CountDocument``) and to read them back (the county roll-up).
extension ParcelCounts {
    /// The keys, in the files' order; also the column names of the CSVs after the leading columns.
    public static let fileKeys = [
        "inbound", "outbound", "in_stock_end", "stale", "unmatched_outbound", "repeat_outbound",
        "duplicates_suppressed", "rescans", "undone", "rejected",
    ]

    /// The values in the order of ``fileKeys``.
    public var fileValues: [Int] {
        [inbound, outbound, inStockEnd, stale, unmatchedOutbound, repeatOutbound, duplicatesSuppressed, rescans,
            undone, rejected]
    }

    /// The counters from values in the order of ``fileKeys``; nil unless there are exactly that many.
    public init?(fileValues values: [Int]) {
        guard values.count == Self.fileKeys.count else { return nil }
        self.init(
            inbound: values[0], outbound: values[1], inStockEnd: values[2], stale: values[3],
            unmatchedOutbound: values[4], repeatOutbound: values[5], duplicatesSuppressed: values[6],
            rescans: values[7], undone: values[8], rejected: values[9])
    }

    /// Sums, field by field (a county's or a day's totals); wraps rather than traps on absurd input.
    public static func += (lhs: inout ParcelCounts, rhs: ParcelCounts) {
        lhs = ParcelCounts(fileValues: zip(lhs.fileValues, rhs.fileValues).map { $0.0 &+ $0.1 })!
    }
}
