import StationTestSupport
import StationTime
import Testing

/// `HourOfDay` (the counts' per-event hour without a zone lookup per event) gives exactly the hour
/// `localDateTime` gives, in zones with DST, half-hour offsets and a half-hour DST shift, around every transition.
@Suite("HourOfDay")
struct HourOfDayTests {
    @Test("the same hour as localDateTime for 200,000 instants of 2024-2026 and every minute around the transitions",
          arguments: ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"])
    func sameHour(name: String) throws {
        let zone = try StationTimeZone(named: name)
        var hours = HourOfDay(zone: zone)
        var random = SplitMix(seed: 0x0A0E_2026)
        let start: Int64 = 1_704_067_200_000_000_000  // 2024-01-01T00:00Z
        let span: Int64 = 3 * 365 * 86_400_000_000_000
        var instants = (0..<200_000).map { _ in start + Int64(random.next() % UInt64(span)) }.sorted()
        // Every minute of the days where the offset changes (found by comparing offsets a day apart).
        var day = start
        while day < start + span {
            if zone.localDateTime(utcNanos: day).utcOffsetSeconds != zone.localDateTime(utcNanos: day + 86_400_000_000_000).utcOffsetSeconds {
                instants += (0..<(2 * 1440)).map { day + Int64($0) * 60_000_000_000 }
            }
            day += 86_400_000_000_000
        }
        for instant in instants {
            let expected = zone.localDateTime(utcNanos: instant).hour
            #expect(hours.hour(utcNanos: instant) == expected, "\(name) at \(instant)")
            if hours.hour(utcNanos: instant) != expected { break }
        }
        // The ends of the range never trap.
        for edge: Int64 in [.min, .min + 1, -1, 0, .max - 1, .max] {
            #expect(hours.hour(utcNanos: edge) == zone.localDateTime(utcNanos: edge).hour)
        }
    }
}
