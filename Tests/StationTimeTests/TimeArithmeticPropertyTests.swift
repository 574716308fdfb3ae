import StationTime
import Testing
import StationTestSupport

/// No arithmetic of StationTime may trap, whatever it is given (issue #10: `counts --date 0001-01-01` died with
/// `Illegal instruction` in `dayRangeNanos`). Every public function of `StationTimeZone`, `LocalDate`,
/// `LocalDateTime` and `RFC3339` is called over every year 0001-9999 and over the whole `Int64` range (its ends and
/// random values), in zones without DST rules (UTC, Asia/Shanghai) and with them (Europe/Berlin, America/New_York,
/// and a zone given only as a POSIX rule). A trap ends the test process, so reaching the `#expect`s is the proof; the
/// `#expect`s check that the answers also still make sense.
@Suite("time arithmetic never traps")
struct TimeArithmeticPropertyTests {
    static func zones() throws -> [StationTimeZone] {
        [
            StationTimeZone.utc, try StationTimeZone(named: "UTC"), try StationTimeZone(named: "Asia/Shanghai"),
            try StationTimeZone(named: "Europe/Berlin"), try StationTimeZone(named: "America/New_York"),
            try StationTimeZone(posixRule: "CET-1CEST,M3.5.0,M10.5.0/3"),
        ]
    }

    /// Years whose every day lies inside what nanoseconds in an `Int64` can hold (1677-09-21 ... 2262-04-11).
    static let representableYears = 1678...2261

    static let edges: [Int64] = [
        .min, .min + 1, .min / 2, -1_000_000_000, -1, 0, 1, 1_000_000_000, .max / 2, .max - 1, .max,
        // Around the ends of what nanoseconds can hold, and of years 0001/9999 as seconds.
        -9_223_372_036_854_775_000, 9_223_372_036_854_775_000, -62_135_596_800, 253_402_300_799, 253_402_300_800,
    ]

    static func instants(count: Int) -> [Int64] {
        var generator = SplitMix(seed: 0x5EED_2026_1203)
        var values = edges
        for _ in 0..<count { values.append(Int64(bitPattern: generator.next())) }
        // And 1970-2100, where the zones' real transitions are.
        for _ in 0..<count { values.append(Int64.random(in: 0...4_102_444_800_000_000_000, using: &generator)) }
        return values
    }

    @Test("every year 0001-9999: a day's start, range and neighbours, in zones with and without DST", .timeLimit(.minutes(2)))
    func everyYear() throws {
        for zone in try Self.zones() {
            for year in 1...9999 {
                for (month, day) in [(1, 1), (3, 29), (6, 30), (10, 25), (11, 5), (12, 31)] {
                    let date = try #require(LocalDate(year: year, month: month, day: day), "\(year)-\(month)-\(day)")
                    let start = zone.startOfDayNanos(date)
                    let range = zone.dayRangeNanos(date)  // Range's own check traps if lower > upper
                    _ = zone.earliestUTCSeconds(atOrAfterLocalSeconds: date.daysSinceEpoch * 86_400)
                    let noons = zone.utcSeconds(for: date, hour: 12, minute: 0, second: 0)
                    _ = zone.utcSeconds(for: date, hour: 2, minute: 30, second: 0)
                    #expect(range.lowerBound == start)
                    let isLast = year == 9999 && month == 12 && day == 31  // adding a day holds at 9999-12-31
                    #expect(isLast || date.adding(days: 1).adding(days: -1) == date)
                    #expect(LocalDate(daysSinceEpoch: date.daysSinceEpoch) == date)
                    #expect(LocalDate(date.description) == date, "\(date)")
                    #expect((0...6).contains(date.weekday))
                    #expect(isLast || date.adding(days: 1).weekday == (date.weekday + 1) % 7)
                    #expect(noons.count == 1, "noon happens once on \(date) in \(zone)")
                    if Self.representableYears.contains(year) {
                        // The day is in its own range; it is 24 h give or take a DST or LMT change.
                        #expect(zone.businessDay(utcNanos: start) == date, "\(date) in \(zone)")
                        #expect(zone.businessDay(utcNanos: range.upperBound - 1) == date, "\(date) in \(zone)")
                        #expect((22 * 3_600_000_000_000...26 * 3_600_000_000_000).contains(range.count), "\(date) in \(zone)")
                        if zone.offsetSeconds(atUTCSeconds: start / 1_000_000_000) % 60 == 0 {  // not local mean time
                            #expect(zone.rfc3339(utcNanos: start).hasPrefix(date.description), "\(date) in \(zone)")
                        }
                        if let noon = noons.first {
                            let local = zone.localDateTime(utcNanos: noon * 1_000_000_000)
                            #expect(local.date == date && local.hour == 12 && local.minute == 0, "\(date) in \(zone)")
                        }
                    } else if year < 1677 || year > 2262 {
                        // Beyond what nanoseconds hold, the answer sits at the nearest end of Int64, never a trap.
                        #expect(start == (year < 1677 ? Int64.min : Int64.max), "\(date) in \(zone)")
                        #expect(range.isEmpty)
                    }
                }
            }
        }
    }

    @Test("the whole Int64 range, ends and random: every instant function, in zones with and without DST", .timeLimit(.minutes(2)))
    func wholeInt64Range() throws {
        let instants = Self.instants(count: 5_000)
        for zone in try Self.zones() {
            for t in instants {
                // t as nanoseconds UTC.
                let local = zone.localDateTime(utcNanos: t)
                let day = zone.businessDay(utcNanos: t)
                let range = zone.dayRangeNanos(day)
                #expect(range.lowerBound <= t && (t < range.upperBound || range.upperBound == .max), "\(t) in \(zone): \(day)")
                #expect((0...23).contains(local.hour) && (0...59).contains(local.minute) && (0...59).contains(local.second))
                #expect((0...999_999_999).contains(local.nanosecond))
                #expect((1...12).contains(local.date.month) && (1...31).contains(local.date.day))
                let seconds = t / 1_000_000_000 - (t % 1_000_000_000 < 0 ? 1 : 0)
                for digits in [-1, 0, 3, 9, 12] {
                    let text = zone.rfc3339(utcNanos: t, fractionalDigits: digits)
                    #expect(text == RFC3339.format(utcNanos: t, in: zone, fractionalDigits: digits))
                    // RFC 3339 offsets have whole minutes; with one (not local mean time) the text shows the local date.
                    if zone.offsetSeconds(atUTCSeconds: seconds) % 60 == 0 {
                        #expect(text.hasPrefix(local.date.description), "\(text) for \(t) in \(zone)")
                    }
                }
                _ = local.description
                // t as seconds UTC, and as local seconds: the whole Int64 range, far beyond years 0001-9999.
                _ = zone.offsetSeconds(atUTCSeconds: t)
                _ = zone.isDaylightSavingTime(atUTCSeconds: t)
                _ = zone.abbreviation(atUTCSeconds: t)
                _ = zone.earliestUTCSeconds(atOrAfterLocalSeconds: t)
                #expect(abs(zone.offsetSeconds(atUTCSeconds: t)) <= 26 * 3600)
            }
        }
    }

    @Test("day counts, day arithmetic and hand-made date-times at the ends of Int/Int64 give answers, not traps", .timeLimit(.minutes(1)))
    func extremeCivilValues() throws {
        let zones = try Self.zones()
        let counts: [Int64] = Self.edges + [-719_163, -719_162, 2_932_896, 2_932_897]
        for count in counts {
            let date = LocalDate(daysSinceEpoch: count)
            #expect((1...12).contains(date.month) && (1...31).contains(date.day))
            _ = date.description
            _ = date.weekday
            _ = date.daysSinceEpoch
            for step in [Int.min, -1, 0, 1, Int.max] { _ = date.adding(days: step) }
            for zone in zones {
                _ = zone.dayRangeNanos(date)
                _ = zone.businessDay(utcNanos: zone.startOfDayNanos(date))
                for (hour, minute, second) in [(0, 0, 0), (23, 59, 59), (Int.max, Int.max, Int.max), (Int.min, Int.min, Int.min), (-1, 60, 61)] {
                    _ = zone.utcSeconds(for: date, hour: hour, minute: minute, second: second)
                }
            }
        }
        for year in [Int.min, -1, 0, 10_000, Int.max] {
            #expect(LocalDate(year: year, month: 1, day: 1).map { $0.year == year } ?? true)
            _ = LocalDate(year: year, month: 2, day: 29)
        }
        for text in ["0000-01-01", "0001-01-01", "9999-12-31", "0202-12-03", "-001-01-01", "+999-01-01", "99999-01-01", "2026-02-29"] {
            if let date = LocalDate(text) {
                for zone in zones { _ = zone.dayRangeNanos(date) }
            }
        }
        let date = try #require(LocalDate(year: 2026, month: 12, day: 3))
        for value in [Int.min, -1, 0, Int.max] {
            let local = LocalDateTime(
                date: date, hour: value, minute: value, second: value, nanosecond: value, utcOffsetSeconds: value)
            for digits in [Int.min, -1, 0, 9, Int.max] { _ = RFC3339.format(local, fractionalDigits: digits) }
            _ = local.description
        }
    }
}
