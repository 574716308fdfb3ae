/// A calendar date in the station's time zone: what SPEC calls a business day.
///
/// Kept as plain numbers (proleptic Gregorian) rather than a Foundation `Date`, because StationTime must run
/// without Foundation and ICU on the boxes' SD cards, and because a business day is a label, not an instant.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    /// 1-12.
    public let month: Int
    /// 1-31.
    public let day: Int

    /// The years a date may have: the four digits `YYYY-MM-DD` can spell.
    public static let years: ClosedRange<Int> = 1...9999

    /// 0001-01-01, the earliest date.
    public static let earliest = LocalDate(checkedYear: 1, month: 1, day: 1)
    /// 9999-12-31, the latest date.
    public static let latest = LocalDate(checkedYear: 9999, month: 12, day: 31)

    private init(checkedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Creates a date, or nil when it does not exist (month 13, 30 February, a year outside 1-9999, ...).
    public init?(year: Int, month: Int, day: Int) {
        guard LocalDate.years.contains(year), (1...12).contains(month), day >= 1, day <= Civil.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative before), held within 0001-01-01 ... 9999-12-31 (a day count
    /// beyond gives the nearest end).
    public init(daysSinceEpoch days: Int64) {
        let (y, m, d) = Civil.civil(fromDays: min(max(days, Civil.earliestDay), Civil.latestDay))
        self.year = y
        self.month = m
        self.day = d
    }

    /// Parses `YYYY-MM-DD` (what `--date` takes and the count files are named with).
    ///
    /// - Returns: nil for anything else, including dates that do not exist.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int64 { Civil.days(year: year, month: month, day: day) }

    /// The date `count` days later (earlier when negative).
    /// Held within 0001-01-01 ... 9999-12-31, like ``init(daysSinceEpoch:)``.
    public func adding(days count: Int) -> LocalDate {
        let (sum, overflow) = daysSinceEpoch.addingReportingOverflow(Int64(count))
        return LocalDate(daysSinceEpoch: overflow ? (count < 0 ? Int64.min : Int64.max) : sum)
    }

    /// 0 = Sunday ... 6 = Saturday.
    public var weekday: Int { Civil.weekday(days: daysSinceEpoch) }

    /// `YYYY-MM-DD`.
    public var description: String {
        Civil.pad(year, 4) + "-" + Civil.pad(month, 2) + "-" + Civil.pad(day, 2)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A local date and wall-clock time with the UTC offset in force, as a supervisor reads it.
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
    public let date: LocalDate
    public let hour: Int
    public let minute: Int
    public let second: Int
    /// 0-999,999,999.
    public let nanosecond: Int
    /// Seconds east of UTC.
    public let utcOffsetSeconds: Int
    /// The zone's abbreviation at that moment (CST, CEST, ...), when known.
    public let abbreviation: String

    public init(
        date: LocalDate, hour: Int, minute: Int, second: Int, nanosecond: Int = 0, utcOffsetSeconds: Int,
        abbreviation: String = ""
    ) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
        self.utcOffsetSeconds = utcOffsetSeconds
        self.abbreviation = abbreviation
    }

    /// RFC 3339 with the offset, whole seconds: `2026-11-30T13:05:00+08:00`.
    public var description: String { RFC3339.format(self) }
}

/// Proleptic Gregorian arithmetic on day counts (Howard Hinnant's `days_from_civil` / `civil_from_days`).
enum Civil {
    /// Days since 1970-01-01 of 0001-01-01 and of 9999-12-31.
    static let earliestDay: Int64 = -719_162
    static let latestDay: Int64 = 2_932_896

    /// UTC seconds clamped to a few days either side of years 0001-9999: every zone computation stays far from
    /// `Int64`'s ends, so nothing can overflow, and within those years nothing changes.
    static func clampedSeconds(_ seconds: Int64) -> Int64 {
        min(max(seconds, (earliestDay - 4) * 86_400), (latestDay + 6) * 86_400)
    }

    /// Local seconds clamped more narrowly than ``clampedSeconds(_:)``, so a search from a local time over the
    /// zone's periods (offsets within ±26 h) never reaches the clamp and always moves forward.
    static func clampedLocalSeconds(_ seconds: Int64) -> Int64 {
        min(max(seconds, (earliestDay - 1) * 86_400), (latestDay + 2) * 86_400)
    }

    /// Seconds as nanoseconds, `Int64.min`/`Int64.max` where they do not fit.
    static func saturatingNanos(seconds: Int64) -> Int64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? Int64.min : Int64.max) : product
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// 0 = Sunday. 1970-01-01 was a Thursday.
    static func weekday(days: Int64) -> Int {
        Int(((days % 7) + 11) % 7)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Never overflows (`a - floorDiv(a, b) * b` would, near `Int64.min`).
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)  // magnitude: abs(Int.min) would trap
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}
