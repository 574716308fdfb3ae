/// The reference implementation of the rules' state: an append-only list of decided events in memory.
///
/// It is deliberately naive (linear scans, no indexes) so it is obviously right: the rules' tests run against it,
/// and the SQLite journal's tests replay the same scans into both and compare outcomes, parcel states and totals.
/// Applying a decision here is what the journal does in one transaction: append the event, persist a mode
/// change, mark an undo target undone.
public struct InMemoryParcelLedger: RuleState, Sendable {
    public typealias Failure = Never

    /// One recorded event.
    public struct Entry: Sendable, Hashable {
        /// Sequence number, from 1.
        public let seq: Int64
        /// The decision recorded.
        public let decision: Decision
        /// Whether a later `#STATION:UNDO` cancelled it.
        public internal(set) var undone: Bool

        /// Whether the event counts: a counted outcome, not undone.
        public var counts: Bool { decision.outcome.isCounted && !undone }
    }

    /// Every event, oldest first.
    public private(set) var entries: [Entry] = []
    /// The persisted directions of switchable devices.
    public private(set) var modes: [String: Direction] = [:]

    /// An empty ledger: no parcels, every switchable device inbound.
    public init() {}

    /// Records a decision as accepted, with its side effects (mode change, undo).
    ///
    /// - Returns: the recorded entry, with its sequence number.
    @discardableResult
    public mutating func record(_ decision: Decision) -> Entry {
        let entry = Entry(seq: Int64(entries.count + 1), decision: decision, undone: false)
        entries.append(entry)
        if let mode = decision.modeChange { modes[decision.scan.device] = mode }
        if let undo = decision.undo, let index = entries.firstIndex(where: { $0.seq == undo.seq }) {
            entries[index].undone = true
        }
        return entry
    }

    /// Decides a scan against this ledger and records it: what the agent does per scan.
    @discardableResult
    public mutating func scan(_ input: ScanInput, rules: ScanRules = ScanRules()) -> Decision {
        let decision = rules.decide(input, state: self)
        record(decision)
        return decision
    }

    /// The current state of a parcel code.
    public func parcelState(of code: String) -> ParcelState {
        newestCountedEvent(code: code)?.stateAfter ?? .absent
    }

    /// The entry with this sequence number.
    public func entry(seq: Int64) -> Entry? {
        entries.first { $0.seq == seq }
    }

    // MARK: RuleState

    public func newestCountedEvent(code: String) -> CountedEvent? {
        newestCounted { $0.code == code }
    }

    public func newestCountedEvent(code: String, device: String, direction: Direction) -> CountedEvent? {
        newestCounted { $0.code == code && $0.scan.device == device && $0.direction == direction }
    }

    public func newestCountedEvent(device: String) -> CountedEvent? {
        newestCounted { $0.scan.device == device }
    }

    public func switchableMode(device: String) -> Direction? {
        modes[device]
    }

    private func newestCounted(where predicate: (Decision) -> Bool) -> CountedEvent? {
        for entry in entries.reversed() where entry.counts && predicate(entry.decision) {
            return entry.decision.countedEvent(seq: entry.seq)
        }
        return nil
    }

    // MARK: Totals

    /// The counters of SPEC §7 over the whole ledger, for one carrier or all, counted as the count files count
    /// (``ParcelCounts/count(_:undone:)``); `inStockEnd` is the stock now.
    ///
    /// `rejected` exists only in totals (rejects have no carrier).
    public func totals(carrier: Carrier? = nil) -> ParcelCounts {
        var totals = ParcelCounts()
        var newestCountedByCode: [String: Decision] = [:]
        for entry in entries {
            let decision = entry.decision
            guard carrier == nil || (decision.carrier == carrier && decision.outcome != .rejected) else { continue }
            totals.count(decision.outcome, undone: entry.undone)
            if decision.outcome.isCounted, !entry.undone { newestCountedByCode[decision.code] = decision }
        }
        // Per carrier, a parcel is in stock under the carrier of its newest counted event. Filtering by carrier
        // above is sound for this because a code always matches the same carrier.
        totals.inStockEnd = newestCountedByCode.values.filter { $0.outcome.stateAfter == .inStock }.count
        return totals
    }
}
