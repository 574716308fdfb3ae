public import Logging
public import StationTime
import Synchronization
import TextEscaping
#if canImport(Glibc)
import Glibc
#endif

/// Log lines on standard error: with journald's priority prefixes (`<6>`) when systemd connected
/// stderr to the journal (`$JOURNAL_STREAM` set), so `journalctl -p warning` works and the journal
/// adds its own timestamps; plain lines otherwise, stamped in the station's zone with its offset
/// (`2026-12-03T21:09:28+08:00`; ``useZone(_:)``, else the system's zone, else UTC).
///
/// Every control character of the message and of every metadata key and value is escaped (``Escaping``): a
/// scanned code, a USB string, a file name or an error text can never start a line of its own, forge a
/// journald priority, overwrite a line or reach the terminal as an escape sequence. Callers need not (and
/// must not) escape what they log.
public struct StationLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let journald: Bool

    public init(label: String, level: Logger.Level = .info, environment: [String: String]) {
        self.label = label
        self.logLevel = level
        self.journald = environment["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        Self.write(Self.format(level: event.level, message: "\(event.message)", metadata: merged, journald: journald))
    }

    /// One log line: `<6>message key=value` for journald, or `timestamp LEVEL message key=value`, with every
    /// control character of the message, the keys and the values escaped, so it is always exactly one line. A plain
    /// line is stamped at `utcNanos` (default: now) in `zone` (default: the one ``useZone(_:)`` set).
    public static func format(
        level: Logger.Level, message: String, metadata: Logger.Metadata, journald: Bool, utcNanos: Int64? = nil,
        zone: StationTimeZone? = nil
    ) -> String {
        let details = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }
            .map { Escaping.text($0.key) + "=" + Escaping.text("\($0.value)") }.joined(separator: " ")
        let text = Escaping.text(message) + details
        if journald { return "<\(syslogPriority(level))>\(text)\n" }
        let stamp = (zone ?? currentZone()).rfc3339(utcNanos: utcNanos ?? SystemClock.wallNanos())
        return "\(stamp) \(level.rawValue.uppercased()) \(text)\n"
    }

    /// The zone of the plain lines' timestamps: the station's (`timezone`, SPEC §3). `run` sets it once the
    /// configuration is loaded, and again on a reload; until then the system's zone (or UTC) is used.
    public static func useZone(_ zone: StationTimeZone) {
        stampZone.withLock { $0 = zone }
    }

    private static let stampZone = Mutex<StationTimeZone?>(nil)

    /// The zone ``useZone(_:)`` set; before that the system's (looked up once), or UTC when it has none.
    public static func currentZone() -> StationTimeZone {
        stampZone.withLock { zone -> StationTimeZone in
            if let zone { return zone }
            let system = (try? StationTimeZone.system()) ?? .utc
            zone = system
            return system
        }
    }

    /// syslog(3) priorities as journald reads them from the line prefix.
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// One write(2) per line, so lines from several threads never interleave.
    private static func write(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
