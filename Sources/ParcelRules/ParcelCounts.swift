/// The counters of SPEC §7, for one slice of a business day (its totals, a carrier, a device) or of a ledger: the
/// one definition of every count. The count files, `counts`, the journal's day summary and the reference ledger all
/// count with ``count(_:undone:)``, so the rule tests check what goes into the files.
///
/// `inStockEnd` and `stale` are stock at an instant (a day's end), not sums of events: whoever knows the stock sets
/// them. `rejected` is meaningful in totals and per device only (a reject has no carrier).
public struct ParcelCounts: Sendable, Hashable {
    /// Counted `received` events.
    public var inbound = 0
    /// Counted `released` and `released_unmatched` events.
    public var outbound = 0
    /// Parcels in stock at the end of the slice (for a ledger: now).
    public var inStockEnd = 0
    /// Of those, received more than `stale_after_days` before that end.
    public var stale = 0
    /// Counted `released_unmatched` events.
    public var unmatchedOutbound = 0
    /// `repeat_release` events (SPEC §5.7 `repeat_outbound`).
    public var repeatOutbound = 0
    /// `duplicate` events.
    public var duplicatesSuppressed = 0
    /// `rescan` events.
    public var rescans = 0
    /// Events cancelled by `#STATION:UNDO`.
    public var undone = 0
    /// `rejected` events.
    public var rejected = 0

    public init(
        inbound: Int = 0, outbound: Int = 0, inStockEnd: Int = 0, stale: Int = 0, unmatchedOutbound: Int = 0,
        repeatOutbound: Int = 0, duplicatesSuppressed: Int = 0, rescans: Int = 0, undone: Int = 0, rejected: Int = 0
    ) {
        self.inbound = inbound
        self.outbound = outbound
        self.inStockEnd = inStockEnd
        self.stale = stale
        self.unmatchedOutbound = unmatchedOutbound
        self.repeatOutbound = repeatOutbound
        self.duplicatesSuppressed = duplicatesSuppressed
        self.rescans = rescans
        self.undone = undone
        self.rejected = rejected
    }

    /// Counts one event: a reject in `rejected`; an undone event in `undone` and nothing else (it no longer counts
    /// as inbound, outbound or unmatched); otherwise the counters of its outcome.
    public mutating func count(_ outcome: Outcome, undone isUndone: Bool) {
        if outcome == .rejected { rejected += 1 }
        if isUndone {
            undone += 1
            return
        }
        let counted = outcome.countedAs
        if counted.contains(.inbound) { inbound += 1 }
        if counted.contains(.outbound) { outbound += 1 }
        if counted.contains(.unmatchedOutbound) { unmatchedOutbound += 1 }
        switch outcome {
        case .duplicate: duplicatesSuppressed += 1
        case .rescan: rescans += 1
        case .repeatRelease: repeatOutbound += 1
        default: break
        }
    }
}
