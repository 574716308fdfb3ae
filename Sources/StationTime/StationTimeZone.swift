import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A time zone loaded from the system's tz database (TZif files), converting UTC instants to the station's local
/// date and time and back.
///
/// Why not Foundation's `TimeZone`: the agent must not link Foundation, and FoundationEssentials cannot load IANA
/// names without ICU. The TZif files of the `tzdata` package are the same data glibc uses, so the agent, `date`
/// and the supervisor's spreadsheet agree.
///
/// A **business day** (SPEC §1) is the local calendar date. Its span in UTC is `[start(D), start(D+1))`, where
/// `start(D)` is the earliest instant whose local date is D or later (a DST gap at midnight moves it forward; a
/// repeated hour across midnight is counted once, in the later day), so every instant belongs to exactly one day.
public struct StationTimeZone: Sendable, Hashable, CustomStringConvertible {
    /// The IANA name (`Asia/Shanghai`), `UTC`, or the rule text for a zone given as a POSIX rule.
    public let identifier: String
    let file: TZifFile

    /// Where Debian's `tzdata` puts the database.
    public static let defaultDatabaseDirectory = "/usr/share/zoneinfo"

    /// UTC: the fallback when no zone is configured and the system has none (SPEC §3: `doctor` warns).
    public static let utc = StationTimeZone(
        identifier: "UTC",
        file: TZifFile(
            transitions: [], transitionTypes: [], types: [LocalTimeType(utcOffset: 0, isDST: false, abbreviation: "UTC")],
            footer: nil))

    init(identifier: String, file: TZifFile) {
        self.identifier = identifier
        self.file = file
    }

    /// Loads an IANA zone by name from the tz database.
    ///
    /// - Throws: ``TimeZoneError/unknownZone(name:databaseDirectory:)`` for a name that is not in the database (or
    ///   tries to leave it), ``TimeZoneError/noDatabase(databaseDirectory:)`` when there is no database at all,
    ///   ``TimeZoneError/invalidFile(path:problem:)`` for a damaged file.
    public init(named name: String, databaseDirectory: String = StationTimeZone.defaultDatabaseDirectory)
        throws(TimeZoneError)
    {
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"),
            components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { throw .unknownZone(name: name, databaseDirectory: databaseDirectory) }
        let path = databaseDirectory + "/" + name
        guard FileAccess.isDirectory(databaseDirectory) else { throw .noDatabase(databaseDirectory: databaseDirectory) }
        guard !FileAccess.isDirectory(path) else { throw .unknownZone(name: name, databaseDirectory: databaseDirectory) }
        switch FileAccess.read(path) {
        case .success(let bytes):
            try self.init(tzif: bytes, identifier: name, path: path)
        case .failure(let error):
            if error.code == ENOENT || error.code == ENOTDIR {
                throw .unknownZone(name: name, databaseDirectory: databaseDirectory)
            }
            throw .unreadable(path: path, errno: error.code)
        }
    }

    /// Parses TZif bytes (for tests and for zones read from elsewhere).
    public init(tzif bytes: [UInt8], identifier: String) throws(TimeZoneError) {
        try self.init(tzif: bytes, identifier: identifier, path: identifier)
    }

    /// A zone given as a POSIX TZ rule, e.g. `CST-8` or `CET-1CEST,M3.5.0,M10.5.0/3`.
    public init(posixRule rule: String) throws(TimeZoneError) {
        do {
            let parsed = try PosixTimeZoneRule(parsing: rule)
            self.init(
                identifier: rule, file: TZifFile(transitions: [], transitionTypes: [], types: [parsed.standard], footer: parsed))
        } catch {
            throw .invalidRule(rule: rule, problem: error.description)
        }
    }

    private init(tzif bytes: [UInt8], identifier: String, path: String) throws(TimeZoneError) {
        do {
            self.init(identifier: identifier, file: try TZifFile(parsing: bytes))
        } catch {
            switch error {
            case .invalid(let problem): throw .invalidFile(path: path, problem: problem)
            }
        }
    }

    /// The configured zone (`timezone` in SPEC §3), or the system's when `name` is nil.
    public static func load(
        named name: String?, databaseDirectory: String = StationTimeZone.defaultDatabaseDirectory
    ) throws(TimeZoneError) -> StationTimeZone {
        if let name { return try StationTimeZone(named: name, databaseDirectory: databaseDirectory) }
        return try system(databaseDirectory: databaseDirectory)
    }

    /// The system's zone: `$TZ` if set, else `/etc/localtime` (named after its symlink target, or
    /// `/etc/timezone`), else the name in `/etc/timezone`.
    ///
    /// - Throws: ``TimeZoneError/noSystemZone`` when nothing is configured; the caller then uses ``utc`` and
    ///   `doctor` warns. Other errors when a configured zone cannot be loaded.
    public static func system(databaseDirectory: String = StationTimeZone.defaultDatabaseDirectory)
        throws(TimeZoneError) -> StationTimeZone
    {
        try system(environmentTZ: FileAccess.environment("TZ"), databaseDirectory: databaseDirectory)
    }

    /// The system's zone as ``system(databaseDirectory:)`` finds it, with every input given (for tests).
    public static func system(
        environmentTZ: String?, localtimePath: String = "/etc/localtime",
        timezonePath: String = "/etc/timezone", databaseDirectory: String = StationTimeZone.defaultDatabaseDirectory
    ) throws(TimeZoneError) -> StationTimeZone {
        if var tz = environmentTZ, !tz.isEmpty {
            if tz.hasPrefix(":") { tz.removeFirst() }
            if tz.hasPrefix("/") {
                return try fromFile(tz, identifier: zoneName(fromPath: tz) ?? tz)
            }
            if let zone = try? StationTimeZone(named: tz, databaseDirectory: databaseDirectory) { return zone }
            if let zone = try? StationTimeZone(posixRule: tz) { return zone }
            throw .unknownZone(name: tz, databaseDirectory: databaseDirectory)
        }
        let timezoneFileName: String? =
            switch FileAccess.read(timezonePath) {
            case .success(let bytes):
                String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).first.map(String.init)
            case .failure: nil
            }
        if FileAccess.exists(localtimePath) {
            let name = FileAccess.readLink(localtimePath).flatMap(zoneName(fromPath:)) ?? timezoneFileName ?? "localtime"
            return try fromFile(localtimePath, identifier: name)
        }
        if let timezoneFileName {
            return try StationTimeZone(named: timezoneFileName, databaseDirectory: databaseDirectory)
        }
        throw .noSystemZone
    }

    private static func fromFile(_ path: String, identifier: String) throws(TimeZoneError) -> StationTimeZone {
        switch FileAccess.read(path) {
        case .success(let bytes): return try StationTimeZone(tzif: bytes, identifier: identifier, path: path)
        case .failure(let error): throw .unreadable(path: path, errno: error.code)
        }
    }

    /// `Asia/Shanghai` from `/usr/share/zoneinfo/Asia/Shanghai` (or `../usr/share/zoneinfo/...`).
    static func zoneName(fromPath path: String) -> String? {
        for marker in ["zoneinfo/posix/", "zoneinfo/"] {
            if let range = path.firstRange(of: marker) {
                let name = String(path[range.upperBound...])
                return name.isEmpty ? nil : name
            }
        }
        return nil
    }

    public var description: String { identifier }

    // MARK: UTC → local

    /// The period (offset, DST flag, abbreviation and its bounds) containing `t` seconds UTC.
    func period(containing utcSeconds: Int64) -> ZonePeriod {
        // Outside years 0001-9999 every answer is that of the nearest end: no arithmetic below can overflow.
        let t = Civil.clampedSeconds(utcSeconds)
        let transitions = file.transitions
        guard let first = transitions.first, t >= first else {
            if transitions.isEmpty, let footer = file.footer { return footer.period(containing: t) }
            return ZonePeriod(type: file.types[0], start: nil, end: transitions.first)
        }
        // The last transition at or before t.
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if transitions[mid] <= t { low = mid } else { high = mid - 1 }
        }
        if low == transitions.count - 1 {
            if let footer = file.footer {
                var period = footer.period(containing: t)
                if period.start.map({ $0 < transitions[low] }) ?? true { period.start = transitions[low] }
                return period
            }
            return ZonePeriod(type: file.types[file.transitionTypes[low]], start: transitions[low], end: nil)
        }
        return ZonePeriod(type: file.types[file.transitionTypes[low]], start: transitions[low], end: transitions[low + 1])
    }

    /// Seconds east of UTC in force at `t` seconds UTC.
    public func offsetSeconds(atUTCSeconds t: Int64) -> Int { period(containing: t).type.utcOffset }

    /// Whether daylight saving time is in force at `t` seconds UTC.
    public func isDaylightSavingTime(atUTCSeconds t: Int64) -> Bool { period(containing: t).type.isDST }

    /// The abbreviation in force at `t` seconds UTC (CST, CET, CEST, ...).
    public func abbreviation(atUTCSeconds t: Int64) -> String { period(containing: t).type.abbreviation }

    /// The local date and time of an instant given in nanoseconds UTC.
    public func localDateTime(utcNanos: Int64) -> LocalDateTime {
        let type = period(containing: Civil.floorDiv(utcNanos, 1_000_000_000)).type
        return Self.local(utcNanos: utcNanos, offset: type.utcOffset, abbreviation: type.abbreviation)
    }

    static func local(utcNanos: Int64, offset: Int, abbreviation: String) -> LocalDateTime {
        let seconds = Civil.floorDiv(utcNanos, 1_000_000_000)
        let nanos = Int(Civil.floorMod(utcNanos, 1_000_000_000))
        let local = seconds + Int64(offset)
        let days = Civil.floorDiv(local, 86_400)
        let secondOfDay = Int(Civil.floorMod(local, 86_400))
        return LocalDateTime(
            date: LocalDate(daysSinceEpoch: days), hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60, nanosecond: nanos, utcOffsetSeconds: offset, abbreviation: abbreviation)
    }

    /// The business day an instant belongs to (see the type's documentation).
    public func businessDay(utcNanos: Int64) -> LocalDate {
        let date = localDateTime(utcNanos: utcNanos).date
        let next = date.adding(days: 1)
        // Only in a repeated hour that crosses midnight can an instant lie past the next day's start.
        return utcNanos >= startOfDayNanos(next) ? next : date
    }

    // MARK: local → UTC

    /// The earliest instant (seconds UTC) whose local time is `localSeconds` (seconds since the local epoch) or
    /// later: the UTC time of a local wall-clock reading, moved forward past a DST gap, first occurrence in a
    /// repeated hour.
    public func earliestUTCSeconds(atOrAfterLocalSeconds localSeconds: Int64) -> Int64 {
        let localSeconds = Civil.clampedLocalSeconds(localSeconds)
        // Offsets lie within ±26 hours, so this instant's local time is certainly earlier.
        var t = localSeconds - 93_600
        while true {
            let period = period(containing: t)
            let candidate = localSeconds - Int64(period.type.utcOffset)
            if let end = period.end {
                if candidate < end { return max(t, candidate) }
                t = end
            } else {
                return max(t, candidate)
            }
        }
    }

    /// Every instant (seconds UTC) at which local clocks showed this date and time: none in a DST gap, two in a
    /// repeated hour, otherwise one.
    public func utcSeconds(for date: LocalDate, hour: Int, minute: Int, second: Int) -> [Int64] {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return [] }
        let local = date.daysSinceEpoch * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        var results: [Int64] = []
        var t = local - 93_600
        while t <= local + 93_600 {
            let period = period(containing: t)
            let candidate = local - Int64(period.type.utcOffset)
            if candidate >= t, period.end.map({ candidate < $0 }) ?? true, !results.contains(candidate) {
                results.append(candidate)
            }
            guard let end = period.end else { break }
            t = end
        }
        return results
    }

    /// The first instant of a business day, in nanoseconds UTC. Nanoseconds in an `Int64` reach from 1677-09-21 to
    /// 2262-04-11: a day starting before that gives `Int64.min`, one starting after it `Int64.max` (never a trap).
    public func startOfDayNanos(_ date: LocalDate) -> Int64 {
        Civil.saturatingNanos(seconds: earliestUTCSeconds(atOrAfterLocalSeconds: date.daysSinceEpoch * 86_400))
    }

    /// A business day's span in nanoseconds UTC: `[start of the day, start of the next)`. Usually 24 hours; 23 or
    /// 25 on DST change days. A day outside what nanoseconds in an `Int64` can hold (see ``startOfDayNanos(_:)``)
    /// gives an empty or cut range at `Int64.min`/`Int64.max`, never a trap.
    public func dayRangeNanos(_ date: LocalDate) -> Range<Int64> {
        startOfDayNanos(date)..<startOfDayNanos(date.adding(days: 1))
    }

    /// RFC 3339 text of an instant with this zone's offset, e.g. `2026-11-30T13:05:00+08:00`.
    public func rfc3339(utcNanos: Int64, fractionalDigits: Int = 0) -> String {
        RFC3339.format(utcNanos: utcNanos, in: self, fractionalDigits: fractionalDigits)
    }
}

/// The local hour of instants of one day, without a time-zone lookup per event: the zone's offset is looked up
/// once per hour-long stretch of UTC and reused while the instants stay in it (offsets change on the hour or the
/// half hour at most a few times a year, and a lookup at the stretch's start and end tells whether one does).
public struct HourOfDay: Sendable {
    public let zone: StationTimeZone
    private var cachedStart = Int64.max
    private var cachedEnd = Int64.min
    private var cachedOffsetNanos: Int64 = 0

    public init(zone: StationTimeZone) { self.zone = zone }

    /// The hour (0-23) of the local time at `utcNanos`: ``StationTimeZone/localDateTime(utcNanos:)``'s hour.
    public mutating func hour(utcNanos: Int64) -> Int {
        if utcNanos < cachedStart || utcNanos >= cachedEnd {
            let hourNanos: Int64 = 3_600_000_000_000
            let (start, overflow) = utcNanos.subtractingReportingOverflow(((utcNanos % hourNanos) + hourNanos) % hourNanos)
            let (end, overflow2) = start.addingReportingOverflow(hourNanos)
            let first = zone.localDateTime(utcNanos: utcNanos)
            if overflow || overflow2 || zone.localDateTime(utcNanos: start).utcOffsetSeconds != first.utcOffsetSeconds
                || zone.localDateTime(utcNanos: end - 1).utcOffsetSeconds != first.utcOffsetSeconds
            {
                cachedStart = Int64.max
                cachedEnd = Int64.min
                return first.hour
            }
            cachedStart = start
            cachedEnd = end
            cachedOffsetNanos = Int64(first.utcOffsetSeconds) * 1_000_000_000
        }
        let (local, overflow) = utcNanos.addingReportingOverflow(cachedOffsetNanos)
        if overflow { return zone.localDateTime(utcNanos: utcNanos).hour }
        let dayNanos: Int64 = 86_400_000_000_000
        return Int(((local % dayNanos) + dayNanos) % dayNanos / 3_600_000_000_000)
    }
}
