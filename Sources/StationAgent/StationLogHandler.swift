public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Log lines on standard error: with journald's priority prefixes (`<6>`) when systemd connected
/// stderr to the journal (`$JOURNAL_STREAM` set), so `journalctl -p warning` works and the journal
/// adds its own timestamps; plain, timestamped lines otherwise.
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

    /// One log line: `<6>message key=value` for journald, or `timestamp LEVEL message key=value`.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata, journald: Bool) -> String {
        let details = metadata.isEmpty ? "" : " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        if journald { return "<\(syslogPriority(level))>\(message)\(details)\n" }
        return "\(timestamp()) \(level.rawValue.uppercased()) \(message)\(details)\n"
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

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
