import StationTime
import Testing
import StationTestSupport

/// No input makes the time code trap (issue #10, defect 2: `counts --date 0001-01-01` died with
/// "Illegal instruction" in `dayRangeNanos`). Each zone kind: none (UTC), a historical DST (Shanghai), and
/// rules still in force with a POSIX footer (Berlin, New York), and a zone given as a POSIX rule.
@Suite("Time arithmetic over every input")
struct ArithmeticRangeTests {
    static let zoneNames = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "posix:CET-1CEST,M3.5.0,M10.5.0/3"]

    static func zone(_ name: String) throws -> StationTimeZone {
        if name.hasPrefix("posix:") { return try StationTimeZone(posixRule: String(name.dropFirst(6))) }
        return try StationTimeZone(named: name)
    }

    @Test("every day of every year 0001-9999 has a start and an ordered range", arguments: zoneNames)
    func everyYear(name: String) throws {
        let zone = try Self.zone(name)
        for year in 1...9999 {
            // Two days of each year (leap day where there is one), and the year's end.
            for (month, day) in [(1, 1), (2, Self.isLeap(year) ? 29 : 28), (12, 31)] {
                let date = try #require(LocalDate(year: year, month: month, day: day))
                let range = zone.dayRangeNanos(date)
                #expect(range.lowerBound <= range.upperBound)
                #expect(date.adding(days: 1) > date || date == LocalDate.latest)
            }
        }
        // Inside what nanoseconds can hold, ranges are real days that tile; outside, they saturate.
        let earliest = try #require(LocalDate("0001-01-01"))
        let latest = try #require(LocalDate("9999-12-31"))
        #expect(zone.dayRangeNanos(earliest) == Int64.min..<Int64.min)
        #expect(zone.dayRangeNanos(latest) == Int64.max..<Int64.max)
        let today = try #require(LocalDate("2026-12-03"))
        let range = zone.dayRangeNanos(today)
        #expect((23 * 3600...25 * 3600).contains((range.upperBound - range.lowerBound) / 1_000_000_000))
        #expect(zone.businessDay(utcNanos: range.lowerBound) == today)
        #expect(zone.businessDay(utcNanos: range.upperBound - 1) == today)
    }

    @Test("any Int64 instant converts both ways without a trap", arguments: zoneNames)
    func everyInstant(name: String) throws {
        let zone = try Self.zone(name)
        var generator = SplitMix(seed: 0x5EED)
        var instants: [Int64] = [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max]
        for _ in 0..<20_000 { instants.append(Int64(bitPattern: generator.next())) }
        for nanos in instants {
            let day = zone.businessDay(utcNanos: nanos)
            let range = zone.dayRangeNanos(day)
            // The instant lies in its own day (the day's ends saturate only at the very ends of Int64).
            #expect(range.contains(nanos) || nanos == Int64.max || range.isEmpty, "\(nanos) in \(day): \(range)")
            _ = zone.rfc3339(utcNanos: nanos, fractionalDigits: 9)
            let seconds = nanos
            _ = zone.offsetSeconds(atUTCSeconds: seconds)
            _ = zone.abbreviation(atUTCSeconds: seconds)
            _ = zone.earliestUTCSeconds(atOrAfterLocalSeconds: seconds)
            _ = LocalDate(daysSinceEpoch: seconds).adding(days: Int(truncatingIfNeeded: seconds))
        }
        _ = zone.utcSeconds(for: LocalDate.latest, hour: Int.max, minute: Int.min, second: 0)
        _ = zone.utcSeconds(for: LocalDate.latest, hour: 23, minute: 59, second: 59)
        _ = zone.utcSeconds(for: LocalDate.earliest, hour: 0, minute: 0, second: 0)
    }

    @Test("dates outside 0001-9999 do not exist; day counts beyond clamp to the ends")
    func dateBounds() {
        #expect(LocalDate(year: 0, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 10_000, month: 1, day: 1) == nil)
        #expect(LocalDate(year: Int.max, month: 12, day: 31) == nil)
        #expect(LocalDate(year: Int.min, month: 1, day: 1) == nil)
        #expect(LocalDate("0000-01-01") == nil)
        #expect(LocalDate(daysSinceEpoch: Int64.max) == LocalDate.latest)
        #expect(LocalDate(daysSinceEpoch: Int64.min) == LocalDate.earliest)
        #expect(LocalDate.latest.adding(days: Int.max) == LocalDate.latest)
        #expect(LocalDate.earliest.adding(days: Int.min) == LocalDate.earliest)
        #expect(LocalDate.latest.description == "9999-12-31")
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }
}
