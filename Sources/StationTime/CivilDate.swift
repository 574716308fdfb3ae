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

    /// Creates a date, or nil when it does not exist (month 13, 30 February, ...).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Civil.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative before).
    public init(daysSinceEpoch days: Int64) {
        let (y, m, d) = Civil.civil(fromDays: days)
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
    public func adding(days count: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + Int64(count))
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

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)  // magnitude: abs(Int.min) would trap
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}
