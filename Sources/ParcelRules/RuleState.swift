/// A counted parcel event as the rules need to see it again: for the duplicate window, the parcel's state and undo.
///
/// "Counted" means outcome `received`, `released` or `released_unmatched`, not undone. The journal builds one from
/// an event row; ``Decision/countedEvent(seq:)`` builds one from a fresh decision.
public struct CountedEvent: Sendable, Hashable {
    /// The journal's sequence number.
    public var seq: Int64
    /// The normalised parcel code.
    public var code: String
    /// `received`, `released` or `released_unmatched`.
    public var outcome: Outcome
    /// The carrier the event was counted under.
    public var carrier: Carrier
    /// The parcel's state before this event: what an undo restores. The journal must store it with the event,
    /// because `received` may follow either `absent` or `released`.
    public var stateBefore: ParcelState
    /// When the event was scanned.
    public var time: EventTime

    /// Creates the view of a counted event.
    public init(
        seq: Int64, code: String, outcome: Outcome, carrier: Carrier, stateBefore: ParcelState, time: EventTime
    ) {
        self.seq = seq
        self.code = code
        self.outcome = outcome
        self.carrier = carrier
        self.stateBefore = stateBefore
        self.time = time
    }

    /// The parcel's state after this event.
    public var stateAfter: ParcelState { outcome.stateAfter ?? stateBefore }
}

/// The facts the rules look up while deciding a scan: the state the journal holds.
///
/// The rules ask only for what a scan needs (a command card needs no parcel lookup; an undo needs the device's
/// newest event before it knows which parcel to look at), so this is a protocol the rules call into rather than a
/// struct filled in advance. Each method is one indexed query; "counted" always means counted and not undone.
/// The journal conforms with its SQLite queries (and its own error type); ``InMemoryParcelLedger`` is the
/// reference implementation.
public protocol RuleState {
    /// What a lookup can fail with (`Never` for the in-memory ledger).
    associatedtype Failure: Error

    /// The newest counted event of this parcel code from any device. Its ``CountedEvent/stateAfter`` is the
    /// parcel's current state; none means `absent`.
    func newestCountedEvent(code: String) throws(Failure) -> CountedEvent?

    /// The newest counted event of this code from this device in this direction: the duplicate window's anchor.
    func newestCountedEvent(code: String, device: String, direction: Direction) throws(Failure) -> CountedEvent?

    /// The newest counted event of this device, whatever the code: the candidate for `#STATION:UNDO`. Return it
    /// regardless of age; the rules apply the 10-minute window with the boot-aware clock rule of ``EventTime``.
    func newestCountedEvent(device: String) throws(Failure) -> CountedEvent?

    /// The persisted direction of a `switchable` device, or `nil` if it never read a mode card (→ inbound).
    func switchableMode(device: String) throws(Failure) -> Direction?
}
