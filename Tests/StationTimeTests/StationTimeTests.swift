import StationTime
import StationTestSupport
import Testing

private func utc(_ date: String, _ hour: Int, _ minute: Int, _ second: Int) throws -> Int64 {
    let day = try #require(LocalDate(date))
    return (day.daysSinceEpoch * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000_000
}

@Suite("Time zones from the tz database")
struct TimeZoneTests {
    @Test func shanghaiIsEightHoursAheadAndFormatsRFC3339() throws {
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let instant = try utc("2026-11-30", 5, 5, 0)
        #expect(zone.offsetSeconds(atUTCSeconds: instant / 1_000_000_000) == 8 * 3600)
        #expect(zone.rfc3339(utcNanos: instant) == "2026-11-30T13:05:00+08:00")
        let local = zone.localDateTime(utcNanos: instant)
        #expect(local.date == LocalDate(year: 2026, month: 11, day: 30))
        #expect(local.hour == 13 && local.abbreviation == "CST")
        // The business day 2026-11-30 runs from 16:00Z the day before to 16:00Z.
        let range = zone.dayRangeNanos(try #require(LocalDate("2026-11-30")))
        #expect(range == (try utc("2026-11-29", 16, 0, 0))..<(try utc("2026-11-30", 16, 0, 0)))
        #expect(zone.businessDay(utcNanos: try utc("2026-11-30", 15, 59, 59)) == LocalDate("2026-11-30"))
        #expect(zone.businessDay(utcNanos: try utc("2026-11-30", 16, 0, 0)) == LocalDate("2026-12-01"))
        // China observed DST 1986-1991: 1988-07-01 was UTC+9.
        #expect(zone.offsetSeconds(atUTCSeconds: try utc("1988-07-01", 0, 0, 0) / 1_000_000_000) == 9 * 3600)
    }

    @Test func berlinAroundItsDaylightSavingTransitions() throws {
        let zone = try StationTimeZone(named: "Europe/Berlin")
        // Spring forward, 2026-03-29 01:00Z: 02:00 local does not exist.
        #expect(zone.rfc3339(utcNanos: try utc("2026-03-29", 0, 59, 59)) == "2026-03-29T01:59:59+01:00")
        #expect(zone.rfc3339(utcNanos: try utc("2026-03-29", 1, 0, 0)) == "2026-03-29T03:00:00+02:00")
        let march29 = try #require(LocalDate("2026-03-29"))
        #expect(zone.utcSeconds(for: march29, hour: 2, minute: 30, second: 0).isEmpty)
        #expect(zone.dayRangeNanos(march29).count == 23 * 3600 * 1_000_000_000)
        // Fall back, 2026-10-25 01:00Z: 02:30 local happens twice.
        let october25 = try #require(LocalDate("2026-10-25"))
        let twice = zone.utcSeconds(for: october25, hour: 2, minute: 30, second: 0)
        #expect(twice == [try utc("2026-10-25", 0, 30, 0) / 1_000_000_000, try utc("2026-10-25", 1, 30, 0) / 1_000_000_000])
        #expect(zone.dayRangeNanos(october25).count == 25 * 3600 * 1_000_000_000)
        #expect(zone.rfc3339(utcNanos: try utc("2026-10-25", 1, 0, 0)) == "2026-10-25T02:00:00+01:00")
        #expect(zone.abbreviation(atUTCSeconds: try utc("2026-07-01", 0, 0, 0) / 1_000_000_000) == "CEST")
        // Beyond the file's transitions the footer rule (CET-1CEST,M3.5.0,M10.5.0/3) applies.
        #expect(zone.offsetSeconds(atUTCSeconds: try utc("2100-07-01", 12, 0, 0) / 1_000_000_000) == 7200)
        #expect(zone.offsetSeconds(atUTCSeconds: try utc("2100-12-01", 12, 0, 0) / 1_000_000_000) == 3600)
        // Local → UTC → local round trip for an ordinary time.
        let noon = try #require(zone.utcSeconds(for: october25, hour: 12, minute: 0, second: 0).first)
        #expect(zone.localDateTime(utcNanos: noon * 1_000_000_000).hour == 12)
    }

    @Test func aPosixRuleAgreesWithTheTZifFile() throws {
        let berlin = try StationTimeZone(named: "Europe/Berlin")
        let rule = try StationTimeZone(posixRule: "CET-1CEST,M3.5.0,M10.5.0/3")
        var t = try utc("2025-01-01", 0, 0, 0) / 1_000_000_000
        while t < (try utc("2027-01-01", 0, 0, 0) / 1_000_000_000) {
            #expect(rule.offsetSeconds(atUTCSeconds: t) == berlin.offsetSeconds(atUTCSeconds: t), "at \(t)")
            t += 3 * 3600 + 17
        }
        let newYork = try StationTimeZone(named: "America/New_York")
        #expect(newYork.rfc3339(utcNanos: try utc("2026-01-15", 17, 0, 0)) == "2026-01-15T12:00:00-05:00")
    }

    @Test func aVersion1FileIsRead() throws {
        // A hand-made TZif v1 file: UTC+1 ("AAA") until t=1000, then UTC+3 ("BBB").
        var bytes = Array("TZif".utf8) + [0] + [UInt8](repeating: 0, count: 15)
        func be32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        bytes += be32(0) + be32(0) + be32(0) + be32(1) + be32(2) + be32(8)
        bytes += be32(1000) + [1]
        bytes += be32(3600) + [0, 0] + be32(10800) + [0, 4]
        bytes += Array("AAA\0BBB\0".utf8)
        let zone = try StationTimeZone(tzif: bytes, identifier: "Test/V1")
        #expect(zone.offsetSeconds(atUTCSeconds: 999) == 3600)
        #expect(zone.offsetSeconds(atUTCSeconds: 1000) == 10800)
        #expect(zone.abbreviation(atUTCSeconds: 5000) == "BBB")
        #expect(throws: TimeZoneError.self) { try StationTimeZone(tzif: Array(bytes.prefix(50)), identifier: "cut") }
    }

    @Test func unknownNamesAndMissingDatabasesAreTypedErrorsSayingWhatToDo() throws {
        let unknown = try #require(throws: TimeZoneError.self) { try StationTimeZone(named: "Asia/Atlantis") }
        #expect(unknown == .unknownZone(name: "Asia/Atlantis", databaseDirectory: "/usr/share/zoneinfo"))
        #expect(unknown.description.contains("Asia/Shanghai"))
        #expect(throws: TimeZoneError.unknownZone(name: "../../etc/passwd", databaseDirectory: "/usr/share/zoneinfo")) {
            try StationTimeZone(named: "../../etc/passwd")
        }
        #expect(throws: TimeZoneError.unknownZone(name: "Asia", databaseDirectory: "/usr/share/zoneinfo")) {
            try StationTimeZone(named: "Asia")
        }
        let missing = try #require(throws: TimeZoneError.self) {
            try StationTimeZone(named: "Asia/Shanghai", databaseDirectory: "/nonexistent/zoneinfo")
        }
        #expect(missing == .noDatabase(databaseDirectory: "/nonexistent/zoneinfo"))
        #expect(missing.description.contains("apt-get install tzdata"))
        #expect(throws: TimeZoneError.self) { try StationTimeZone(named: "zone.tab") }
    }

    @Test func theSystemZoneComesFromTZOrLocaltime() throws {
        #expect(try StationTimeZone.system(environmentTZ: "Asia/Shanghai").identifier == "Asia/Shanghai")
        #expect(try StationTimeZone.system(environmentTZ: ":Europe/Berlin").identifier == "Europe/Berlin")
        #expect(
            try StationTimeZone.system(environmentTZ: "/usr/share/zoneinfo/Asia/Shanghai").identifier == "Asia/Shanghai")
        let posix = try StationTimeZone.system(environmentTZ: "CST-8")
        #expect(posix.offsetSeconds(atUTCSeconds: 0) == 8 * 3600)
        #expect(throws: TimeZoneError.noSystemZone) {
            try StationTimeZone.system(
                environmentTZ: nil, localtimePath: "/nonexistent/localtime", timezonePath: "/nonexistent/timezone")
        }
        #expect(StationTimeZone.utc.rfc3339(utcNanos: 0) == "1970-01-01T00:00:00+00:00")
        #expect(try StationTimeZone.load(named: "Asia/Shanghai").identifier == "Asia/Shanghai")
    }
}

@Suite("Dates and RFC 3339")
struct DateTests {
    @Test func datesParseFormatAndCount() throws {
        #expect(LocalDate("2026-11-30")?.description == "2026-11-30")
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2026-1-30") == nil)
        #expect(LocalDate("2026-11-30")?.adding(days: 1).description == "2026-12-01")
        #expect(LocalDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(LocalDate(daysSinceEpoch: -1).description == "1969-12-31")
        #expect(LocalDate("2026-11-30")?.weekday == 1)
        // Before the epoch, nanoseconds round down, not toward zero.
        #expect(StationTimeZone.utc.rfc3339(utcNanos: -1) == "1969-12-31T23:59:59+00:00")
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        #expect(zone.rfc3339(utcNanos: 1_500_000_000, fractionalDigits: 3) == "1970-01-01T08:00:01.500+08:00")
    }
}

@Suite("Clocks")
struct ClockTests {
    @Test func theSystemClockReadsBootIDAndTimes() throws {
        let bootID = try SystemClock.readBootID()
        #expect(SystemClock.isBootID(bootID))
        #expect(!SystemClock.isBootID("not-a-boot-id"))
        #expect(!SystemClock.isBootID("3660CFA8-FE69-46EC-A2BE-B28B90FB5587"))
        let clock = SystemClock()
        let first = clock.now()
        let second = clock.now()
        #expect(first.bootID == bootID)
        #expect(second.monotonicNanos >= first.monotonicNanos)
        #expect(first.wallNanos > 1_600_000_000 * 1_000_000_000)
        #expect(throws: ClockError.self) { try SystemClock.readBootID(path: "/nonexistent/boot_id") }
    }

    @Test func synchronisationFollowsAdjtimex() {
        #expect(SystemClock.isSynchronized(returnValue: 0, status: 0))
        #expect(!SystemClock.isSynchronized(returnValue: 5, status: 0))
        #expect(!SystemClock.isSynchronized(returnValue: 0, status: 0x40))
        #expect(!SystemClock.isSynchronized(returnValue: -1, status: 0))
    }

    @Test func theTestClockMovesBothClocksAndReboots() {
        let clock = TestClock(wallNanos: 1_000, bootID: "a", isSynchronized: false)
        clock.advance(seconds: 2)
        #expect(clock.now().monotonicNanos == 102_000_000_000)
        clock.setWall(nanos: 5, synchronized: true)
        #expect(clock.now() == ClockReading(wallNanos: 5, monotonicNanos: 102_000_000_000, bootID: "a", isSynchronized: true))
        clock.reboot(bootID: "b", synchronized: false)
        #expect(clock.now().bootID == "b" && clock.now().monotonicNanos == 5_000_000_000)
    }
}
