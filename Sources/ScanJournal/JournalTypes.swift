import SystemSupport
public import ParcelRules
public import StationTime
import TextEscaping

/// The USB identity of the device a scan came from (SPEC §7), so a dispute can tell two identical scanners apart.
public struct USBIdentity: Sendable, Hashable {
    public var vendorID: UInt16
    public var productID: UInt16
    public var serial: String?
    /// The USB port path, e.g. `1-1.2`.
    public var port: String?

    public init(vendorID: UInt16, productID: UInt16, serial: String? = nil, port: String? = nil) {
        self.vendorID = vendorID
        self.productID = productID
        self.serial = serial
        self.port = port
    }

    /// `0c2e:0b61`.
    public var vidPid: String { hex4(vendorID) + ":" + hex4(productID) }
}

/// A release photo kept with an event (a camera device, SPEC §4): where it is and its SHA-256, which the hash chain
/// covers.
public struct PhotoReference: Sendable, Hashable {
    /// The photo's path, relative to the data directory (`photos/<YYYY-MM-DD>/<seq>.jpg`).
    public var path: String
    /// The SHA-256 of the JPEG's bytes.
    public var sha256: [UInt8]

    public init(path: String, sha256: [UInt8]) {
        self.path = path
        self.sha256 = sha256
    }
}

/// A scan handed to the journal: what the rules decide on, plus what only the journal records.
public struct JournalScan: Sendable, Hashable {
    /// The scan as the rules see it (its time is the reading's wall/boot/monotonic time).
    public var input: ScanInput
    /// Whether the wall clock was synchronised when the scan was read: unsynchronised times are corrected later.
    public var clockSynchronized: Bool
    /// The device's USB identity; nil for manual entry.
    public var usb: USBIdentity?
    /// The release photo already kept for this scan, else nil.
    public var photo: PhotoReference?
    /// A release photo to keep with the event (camera devices): the journal's writer writes and syncs it as
    /// `photos/<day>/<seq>.jpg` inside the event's transaction, before the commit, and records its reference. When
    /// it cannot be written (a full disk) the event commits without it and the log says so: the scan path never waits
    /// longer for a photo than for the journal itself.
    public var pendingPhoto: PendingPhoto?

    public init(
        input: ScanInput, clockSynchronized: Bool, usb: USBIdentity? = nil, photo: PhotoReference? = nil,
        pendingPhoto: PendingPhoto? = nil
    ) {
        self.input = input
        self.clockSynchronized = clockSynchronized
        self.usb = usb
        self.photo = photo
        self.pendingPhoto = pendingPhoto
    }

    /// A scan of the bytes `raw`, as the device sent them, read at `reading`.
    public init(
        raw: [UInt8], reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
        usb: USBIdentity? = nil, at reading: ClockReading
    ) {
        self.init(
            input: ScanInput(
                raw: raw, reportedSymbology: reportedSymbology, device: device, role: role, source: source,
                time: EventTime(reading)),
            clockSynchronized: reading.isSynchronized, usb: usb)
    }

    /// A scan of the text `raw` (a manual entry, a test), read at `reading`.
    public init(
        raw: String, reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
        usb: USBIdentity? = nil, at reading: ClockReading
    ) {
        self.init(
            raw: Array(raw.utf8), reportedSymbology: reportedSymbology, device: device, role: role, source: source,
            usb: usb, at: reading)
    }
}

extension EventTime {
    /// The rules' view of a clock reading.
    public init(_ reading: ClockReading) {
        self.init(wallNanos: reading.wallNanos, bootID: reading.bootID, monotonicNanos: reading.monotonicNanos)
    }
}

/// A scan the journal committed: SPEC §1's "accepted". Only now may feedback be given.
public struct AcceptedScan: Sendable, Hashable {
    /// The journal's sequence number: the order of events.
    public let seq: Int64
    /// What the rules decided, as recorded.
    public let decision: Decision
    /// The release photo kept with the event (camera devices), nil when there was none or it could not be written.
    public var photo: PhotoReference? = nil

    public init(seq: Int64, decision: Decision, photo: PhotoReference? = nil) {
        self.seq = seq
        self.decision = decision
        self.photo = photo
    }
}

/// One event as the journal holds it: what `scans` prints and the count files are computed from.
public struct JournalEvent: Sendable, Hashable {
    public var seq: Int64
    /// Normalised code (for commands, the card text).
    public var code: String
    /// The bytes as the device sent them, exactly (``ScanInput/raw``: terminator excluded), also when not UTF-8.
    public var raw: [UInt8]
    public var symbology: String?
    public var direction: Direction?
    public var outcome: Outcome
    public var reason: Reason?
    public var command: CommandCard?
    public var carrier: Carrier?
    public var carrierCandidates: [Carrier]
    public var device: String
    public var role: DeviceRole
    public var usb: USBIdentity?
    public var source: ScanSource
    /// Wall time as read, UTC ns.
    public var wallNanos: Int64
    public var bootID: String
    public var monotonicNanos: UInt64
    public var clockSynchronized: Bool
    /// The wall time reconstructed once the clock was synchronised later in the same boot.
    public var correctedNanos: Int64?
    /// Whether a later `#STATION:UNDO` cancelled this event, and which event did.
    public var undone: Bool
    public var undoneBy: Int64?
    /// The parcel state before and after (lifecycle outcomes only).
    public var stateBefore: ParcelState?
    public var stateAfter: ParcelState?
    public var duplicateOf: Int64?
    public var modeChange: Direction?
    /// For a successful `#STATION:UNDO`: the event it cancelled.
    public var undoOf: Int64?
    public var verdict: Verdict?
    /// The release photo (camera devices), else nil.
    public var photo: PhotoReference?
    /// The event's link of the hash chain (SPEC §7): SHA-256 of the previous event's hash and this event's
    /// canonical bytes (``EventChain``); empty if the row has none (a row someone inserted by hand).
    public var hash: [UInt8]

    /// The time business days and counts use: corrected time where the clock was fixed later, else wall time.
    public var effectiveNanos: Int64 { correctedNanos ?? wallNanos }

    /// The raw text, decoded leniently.
    public var rawText: String { String(decoding: raw, as: UTF8.self) }

    /// The raw bytes as text with control characters and backslashes escaped (`\r`, `\n`, `\t`, `\\`, `\xNN`), and
    /// bytes that are not UTF-8 as `\xNN`, so a terminator, a stray escape sequence or a garbled read is visible in
    /// a dispute and cannot disturb a terminal or a CSV: the project's one escaping, ``Escaping/bytes(_:)``.
    public var rawEscaped: String { Escaping.bytes(raw) }
}

/// The numbers of one business day, computed from the journal (SPEC §7), by effective time in a given zone.
public struct DaySummary: Sendable, Hashable {
    public let date: LocalDate
    /// The zone the day was cut in.
    public let timezone: String
    /// `[start, end)` of the day, UTC ns.
    public let range: Range<Int64>
    /// The day's events counted (``ParcelCounts/count(_:undone:)``); the stock fields are left to the caller.
    public var totals = ParcelCounts()
    public var byCarrier: [Carrier: ParcelCounts] = [:]
    public var byDevice: [String: ParcelCounts] = [:]
    /// 24 entries, local hours 0-23 (a 25-hour day puts the repeated hour's events in the same hour).
    public var byHour: [HourCounts] = (0..<24).map { HourCounts(hour: $0) }
    /// Events of the day recorded while the clock was not synchronised, and how many of them were corrected.
    public var unsyncedEvents = 0
    public var correctedEvents = 0
    /// The first and last sequence numbers of the day's events (nil when the day has none).
    public var firstSeq: Int64?
    public var lastSeq: Int64?
    /// The hash chain at the day's last event (SPEC §7 `journal.last_hash`); nil when the day has none.
    public var lastHash: [UInt8]?

    init(date: LocalDate, timezone: String, range: Range<Int64>) {
        self.date = date
        self.timezone = timezone
        self.range = range
    }
}

/// Counted inbound and outbound events of one local hour.
public struct HourCounts: Sendable, Hashable {
    public let hour: Int
    public var inbound = 0
    public var outbound = 0
}

/// Parcels in stock at an instant (SPEC §7 `in_stock_end` and `stale` at a day's end), in total and per carrier:
/// only ``ParcelCounts/inStockEnd`` and ``ParcelCounts/stale`` are set.
public struct StockSummary: Sendable, Hashable {
    public var totals = ParcelCounts()
    public var byCarrier: [Carrier: ParcelCounts] = [:]

    public init(totals: ParcelCounts = ParcelCounts(), byCarrier: [Carrier: ParcelCounts] = [:]) {
        self.totals = totals
        self.byCarrier = byCarrier
    }
}

/// One parcel in stock at an instant (``JournalReader/stockParcels(atNanos:staleBeforeNanos:)``): its open stay.
public struct StockParcel: Sendable, Hashable {
    /// The seq of the receipt that put it in stock.
    public let seq: Int64
    /// The normalised code (escape it for people).
    public let code: String
    public let carrier: Carrier
    /// The receipt's effective time, UTC ns.
    public let receivedNanos: Int64
    /// Received before the stale cut (SPEC §7 `stale`).
    public let isStale: Bool
    /// The device that received it (`manual` for a manual entry).
    public let device: String

    public init(seq: Int64, code: String, carrier: Carrier, receivedNanos: Int64, isStale: Bool, device: String) {
        self.seq = seq
        self.code = code
        self.carrier = carrier
        self.receivedNanos = receivedNanos
        self.isStale = isStale
        self.device = device
    }
}

/// What `doctor` and `verify` report about the journal file.
public struct JournalIntegrity: Sendable, Hashable {
    public let path: String
    /// True when `PRAGMA integrity_check` said `ok`.
    public let isOK: Bool
    /// The check's messages (just `ok` when healthy).
    public let messages: [String]
    public let schemaVersion: Int
    public let eventCount: Int64
    public let lastSeq: Int64?
}
