public import ParcelRules
public import StationTime

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
    public var vidPid: String { Self.hex4(vendorID) + ":" + Self.hex4(productID) }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
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

    public init(input: ScanInput, clockSynchronized: Bool, usb: USBIdentity? = nil) {
        self.input = input
        self.clockSynchronized = clockSynchronized
        self.usb = usb
    }

    /// A scan read at `reading`.
    public init(
        raw: String, reportedSymbology: String? = nil, device: String, role: DeviceRole, source: ScanSource = .usb,
        usb: USBIdentity? = nil, at reading: ClockReading
    ) {
        self.init(
            input: ScanInput(
                raw: raw, reportedSymbology: reportedSymbology, device: device, role: role, source: source,
                time: EventTime(reading)),
            clockSynchronized: reading.isSynchronized, usb: usb)
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
}

/// One event as the journal holds it: what `scans` prints and the count files are computed from.
public struct JournalEvent: Sendable, Hashable {
    public var seq: Int64
    /// Normalised code (for commands, the card text).
    public var code: String
    /// The bytes as read (the scanner's text, terminators included).
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

    /// The time business days and counts use: corrected time where the clock was fixed later, else wall time.
    public var effectiveNanos: Int64 { correctedNanos ?? wallNanos }

    /// The raw text, decoded leniently.
    public var rawText: String { String(decoding: raw, as: UTF8.self) }

    /// The raw text with control characters and backslashes escaped (`\r`, `\n`, `\t`, `\\`, `\xNN`), so a
    /// terminator or a stray escape sequence is visible in a dispute and cannot disturb a terminal or a CSV.
    public var rawEscaped: String {
        var text = ""
        for scalar in rawText.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\r": text += "\\r"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                    text += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text
    }
}

/// The counters of SPEC §7 for one slice of a day (totals, a carrier, a device).
public struct JournalCounts: Sendable, Hashable {
    public var inbound = 0
    public var outbound = 0
    public var unmatchedOutbound = 0
    public var repeatOutbound = 0
    public var duplicatesSuppressed = 0
    public var rescans = 0
    public var undone = 0
    /// Only meaningful in totals and per device (rejects have no carrier).
    public var rejected = 0

    public init() {}

    mutating func add(_ event: JournalEvent) {
        if event.outcome == .rejected { rejected += 1 }
        if event.undone {
            undone += 1
            return
        }
        let counted = event.outcome.countedAs
        if counted.contains(.inbound) { inbound += 1 }
        if counted.contains(.outbound) { outbound += 1 }
        if counted.contains(.unmatchedOutbound) { unmatchedOutbound += 1 }
        switch event.outcome {
        case .duplicate: duplicatesSuppressed += 1
        case .rescan: rescans += 1
        case .repeatRelease: repeatOutbound += 1
        default: break
        }
    }
}

/// The numbers of one business day, computed from the journal (SPEC §7), by effective time in a given zone.
public struct DaySummary: Sendable, Hashable {
    public let date: LocalDate
    /// The zone the day was cut in.
    public let timezone: String
    /// `[start, end)` of the day, UTC ns.
    public let range: Range<Int64>
    public var totals = JournalCounts()
    public var byCarrier: [Carrier: JournalCounts] = [:]
    public var byDevice: [String: JournalCounts] = [:]
    /// 24 entries, local hours 0-23 (a 25-hour day puts the repeated hour's events in the same hour).
    public var byHour: [HourCounts] = (0..<24).map { HourCounts(hour: $0) }
    /// Events of the day recorded while the clock was not synchronised, and how many of them were corrected.
    public var unsyncedEvents = 0
    public var correctedEvents = 0
    /// The first and last sequence numbers of the day's events (nil when the day has none).
    public var firstSeq: Int64?
    public var lastSeq: Int64?

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

/// Parcels in stock under one carrier.
public struct StockCounts: Sendable, Hashable {
    public var inStock = 0
    /// Of those, received before the stale cutoff.
    public var stale = 0
}

/// Parcels in stock now (SPEC §7 `in_stock_end` for the open day).
public struct StockSummary: Sendable, Hashable {
    public var totals = StockCounts()
    public var byCarrier: [Carrier: StockCounts] = [:]
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
