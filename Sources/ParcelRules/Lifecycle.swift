/// Where a parcel code stands at this station (SPEC §5.7).
///
/// Raw values are stable spellings for the journal.
public enum ParcelState: String, Sendable, Hashable, CaseIterable {
    /// Never counted in (or every counted event on it was undone).
    case absent
    /// Counted inbound and not released since: on the shelf.
    case inStock = "in_stock"
    /// Counted outbound: handed to the recipient.
    case released
}

/// What became of a scan: exactly the outcome names of SPEC §2 (`scans --json` `outcome`).
public enum Outcome: String, Sendable, Hashable, CaseIterable {
    /// Inbound, parcel was absent or released: now in stock, counted inbound.
    case received
    /// Outbound, parcel was in stock: now released, counted outbound.
    case released
    /// Outbound, parcel was never received (or its receipt was undone): released, counted outbound and as
    /// `unmatched_outbound`, because the parcel did leave the station and the supervisor must see the gap.
    case releasedUnmatched = "released_unmatched"
    /// Inbound, parcel already in stock: recorded, not counted again.
    case rescan
    /// Outbound, parcel already released: recorded, not counted again (the count files call it `repeat_outbound`).
    case repeatRelease = "repeat_release"
    /// Same code, device and direction within the duplicate window of the last counted one: recorded, not counted.
    case duplicate
    /// Not a parcel code (see ``Reason``): recorded, not counted.
    case rejected
    /// A command card (§5.2): never a parcel.
    case command

    /// Whether the event counts (SPEC's "accepted parcel event"): only these can be duplicated against or undone.
    public var isCounted: Bool { !countedAs.isEmpty }

    /// The counters this outcome adds to while it is not undone.
    public var countedAs: CountedAs {
        switch self {
        case .received: .inbound
        case .released: .outbound
        case .releasedUnmatched: [.outbound, .unmatchedOutbound]
        case .rescan, .repeatRelease, .duplicate, .rejected, .command: []
        }
    }

    /// The parcel state a counted outcome leaves behind; `nil` for outcomes that change no state.
    public var stateAfter: ParcelState? {
        switch self {
        case .received: .inStock
        case .released, .releasedUnmatched: .released
        case .rescan, .repeatRelease, .duplicate, .rejected, .command: nil
        }
    }

    /// The direction a counted outcome was scanned in; `nil` for outcomes that may have either or none.
    public var countedDirection: Direction? {
        switch self {
        case .received: .inbound
        case .released, .releasedUnmatched: .outbound
        case .rescan, .repeatRelease, .duplicate, .rejected, .command: nil
        }
    }
}

/// The counters of the count files that one event adds to (SPEC §7 `inbound`, `outbound`, `unmatched_outbound`).
public struct CountedAs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Counted in `inbound`.
    public static let inbound = CountedAs(rawValue: 1 << 0)
    /// Counted in `outbound`.
    public static let outbound = CountedAs(rawValue: 1 << 1)
    /// Counted in `unmatched_outbound` (always together with ``outbound``).
    public static let unmatchedOutbound = CountedAs(rawValue: 1 << 2)
}

/// The lifecycle rule of SPEC §5.7, in one place.
public enum Lifecycle {
    /// The outcome of a valid, non-duplicate parcel scan in `direction` when the parcel is in `state`.
    ///
    /// Receiving a released parcel again counts it in again: a parcel can come back (a return, a re-delivery).
    public static func outcome(of direction: Direction, when state: ParcelState) -> Outcome {
        switch (direction, state) {
        case (.inbound, .absent), (.inbound, .released): .received
        case (.inbound, .inStock): .rescan
        case (.outbound, .inStock): .released
        case (.outbound, .absent): .releasedUnmatched
        case (.outbound, .released): .repeatRelease
        }
    }
}

/// The feedback an outbound scan gets (SPEC §6), once its event is accepted.
///
/// Raw values are the keys of the `feedback` table in the configuration.
public enum Verdict: String, Sendable, Hashable, CaseIterable {
    /// Released from stock: good-read beep / `ok` bytes.
    case ok
    /// Released although never received (`released_unmatched`).
    case notInStock = "not_in_stock"
    /// The parcel had already been released (`repeat_release`).
    case alreadyReleased = "already_released"
    /// Not a parcel code.
    case rejected

    /// The verdict of an outbound event, or `nil` when the outcome gets no verdict.
    ///
    /// A duplicate gets the verdict of the counted event it duplicates (a double read of one label must not turn
    /// a good beep into an error beep); pass that event's outcome as `duplicateOf`. Commands get none: they are
    /// not outbound scans, and beeping "error" at an operator who switched mode would be wrong.
    public static func forOutbound(_ outcome: Outcome, duplicateOf original: Outcome? = nil) -> Verdict? {
        switch outcome {
        case .released: .ok
        case .releasedUnmatched: .notInStock
        case .repeatRelease: .alreadyReleased
        case .rejected: .rejected
        case .duplicate: original.flatMap { $0 == .duplicate ? nil : forOutbound($0) }
        case .received, .rescan, .command: nil
        }
    }
}
