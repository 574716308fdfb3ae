/// What the rules decided about one scan: everything the journal records and the agent acts on.
///
/// A decision is a proposal until the journal commits it (SPEC §1 "accepted"): only then may the agent give the
/// ``verdict`` as feedback, persist the ``modeChange`` and cancel the ``undo`` target — in the same transaction as
/// the event, so that a crash cannot leave a mode switched without its command card on record.
public struct Decision: Sendable, Hashable {
    /// The scan as received.
    public let scan: ScanInput
    /// The scan's normalised code and symbology, with the raw text.
    public let normalized: NormalizedScan
    /// One of SPEC §2's outcomes.
    public let outcome: Outcome
    /// Why a scan was rejected, or a note on a command (mode card ignored, nothing to undo); `nil` otherwise.
    public let reason: Reason?
    /// The command card read, for outcome `command`.
    public let command: CommandCard?
    /// The direction the parcel was scanned in; `nil` for commands (they have none).
    public let direction: Direction?
    /// The carrier a parcel code is counted under (first match, or UNKNOWN); `nil` for rejects and commands.
    public let carrier: Carrier?
    /// Every carrier whose pattern matched, in table order (empty for UNKNOWN, rejects and commands).
    public let carrierCandidates: [Carrier]
    /// The parcel's state before and after, for the outcomes that consulted the lifecycle (`received`, `rescan`,
    /// `released`, `released_unmatched`, `repeat_release`); `nil` otherwise. The journal stores ``ParcelTransition/before``
    /// with counted events: an undo restores it.
    public let parcel: ParcelTransition?
    /// For a `duplicate`: the sequence number of the counted event it repeats.
    public let duplicateOf: Int64?
    /// For a mode card on a `switchable` device: the direction to persist for that device.
    public let modeChange: Direction?
    /// For `#STATION:UNDO` that found its target: the event to mark undone and the state its parcel returns to.
    public let undo: UndoAction?
    /// The feedback for an outbound scan (§6); `nil` for inbound scans and commands.
    public let verdict: Verdict?

    init(
        scan: ScanInput, normalized: NormalizedScan, outcome: Outcome, reason: Reason? = nil,
        command: CommandCard? = nil, direction: Direction? = nil, carrier: CarrierMatch? = nil,
        parcel: ParcelTransition? = nil, duplicateOf: Int64? = nil, modeChange: Direction? = nil,
        undo: UndoAction? = nil, verdict: Verdict? = nil
    ) {
        self.scan = scan
        self.normalized = normalized
        self.outcome = outcome
        self.reason = reason
        self.command = command
        self.direction = direction
        self.carrier = carrier?.carrier
        self.carrierCandidates = carrier?.candidates ?? []
        self.parcel = parcel
        self.duplicateOf = duplicateOf
        self.modeChange = modeChange
        self.undo = undo
        self.verdict = verdict
    }

    /// The normalised code (for commands, the card's text).
    public var code: String { normalized.code }
    /// The AIM symbology identifier, if any.
    public var symbology: String? { normalized.symbology }
    /// The counters this event adds to while it is not undone.
    public var countedAs: CountedAs { outcome.countedAs }

    /// This decision as a counted event once the journal assigned it `seq`; `nil` if it does not count.
    public func countedEvent(seq: Int64) -> CountedEvent? {
        guard outcome.isCounted, let carrier, let parcel else { return nil }
        return CountedEvent(
            seq: seq, code: code, outcome: outcome, carrier: carrier, stateBefore: parcel.before, time: scan.time)
    }
}

/// A parcel's state before and after one scan.
public struct ParcelTransition: Sendable, Hashable {
    /// The state the rules found.
    public let before: ParcelState
    /// The state the scan leaves (equal to ``before`` for `rescan` and `repeat_release`).
    public let after: ParcelState

    /// Creates a transition (the journal rebuilds one from a stored event).
    public init(before: ParcelState, after: ParcelState) {
        self.before = before
        self.after = after
    }
}

/// What a successful `#STATION:UNDO` cancels.
public struct UndoAction: Sendable, Hashable {
    /// The sequence number of the event to mark undone; it no longer counts (SPEC §5.8).
    public let seq: Int64
    /// The parcel code of that event.
    public let code: String
    /// The carrier that event was counted under (the `undone` counter is kept per carrier).
    public let carrier: Carrier
    /// The cancelled event's outcome.
    public let cancelledOutcome: Outcome
    /// The parcel's state once the event is cancelled: its state before that event.
    public let restoredState: ParcelState
}

extension Decision: CustomStringConvertible {
    /// One log line's worth: outcome, code, and what matters for this outcome.
    public var description: String {
        var parts = [outcome.rawValue, code.isEmpty ? "<empty>" : code]
        if let direction { parts.append("direction=\(direction.rawValue)") }
        if let carrier { parts.append("carrier=\(carrier.rawValue)") }
        if carrierCandidates.count > 1 {
            parts.append("candidates=\(carrierCandidates.map(\.rawValue).joined(separator: ","))")
        }
        if let reason { parts.append("reason=\(reason.rawValue)") }
        if let duplicateOf { parts.append("duplicate_of=\(duplicateOf)") }
        if let modeChange { parts.append("mode=\(modeChange.rawValue)") }
        if let undo { parts.append("undo=\(undo.seq) \(undo.code) -> \(undo.restoredState.rawValue)") }
        if let verdict { parts.append("verdict=\(verdict.rawValue)") }
        parts.append("device=\(scan.device)")
        return parts.joined(separator: " ")
    }
}
