import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing

@Suite("Time correction")
struct ClockCorrectionTests {
    @Test(.timeLimit(.minutes(1)))
    func unsynchronisedEventsOfTheBootAreCorrectedOnceTheClockIsSynchronised() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        // An earlier boot with a wrong clock, never synchronised during that boot.
        let clock = TestClock(wallNanos: 50_000_000_000, bootID: "boot-0", isSynchronized: false)
        _ = try await journal.submit(JournalScan(raw: Codes.jd, device: "desk", role: .inbound, at: clock.now()))

        // This boot: three receipts with the clock in 1970, ten seconds apart.
        clock.reboot(bootID: "boot-1", monotonicNanos: 20_000_000_000, wallNanos: 40_000_000_000, synchronized: false)
        var unsynced: [AcceptedScan] = []
        for code in [Codes.sf, Codes.zto, Codes.yto] {
            unsynced.append(try await journal.submit(JournalScan(raw: code, device: "desk", role: .inbound, at: clock.now())))
            clock.advance(seconds: 10)
        }
        // NTP fixes the clock: 2026-11-30 10:00:00 local, 30 s (monotonic) after the first receipt.
        let synchronizedWall = try instant(zone, "2026-11-30", 10, 0, 0)
        clock.setWall(nanos: synchronizedWall, synchronized: true)
        let synced = try await journal.submit(JournalScan(raw: Codes.jt, device: "desk", role: .inbound, at: clock.now()))
        // A clock that then jumps backwards an hour does not reorder the journal.
        clock.setWall(nanos: synchronizedWall - 3_600_000_000_000, synchronized: true)
        clock.advance(seconds: 1)
        let afterJump = try await journal.submit(
            JournalScan(raw: Codes.sto, device: "desk", role: .inbound, at: clock.now()))

        let reader = try journal.makeReader()
        let day = try #require(LocalDate("2026-11-30"))
        let events = try reader.events(on: day, in: zone)
        #expect(events.map(\.seq) == unsynced.map(\.seq) + [synced.seq, afterJump.seq])
        for (index, event) in events.prefix(3).enumerated() {
            #expect(event.correctedNanos == synchronizedWall - Int64(30 - 10 * index) * 1_000_000_000)
            #expect(zone.businessDay(utcNanos: event.effectiveNanos) == day)
        }
        #expect(zone.rfc3339(utcNanos: events[0].effectiveNanos) == "2026-11-30T09:59:30+08:00")
        let summary = try reader.summary(of: day, in: zone)
        #expect(summary.totals.inbound == 5)
        #expect(summary.byHour[9].inbound == 4 && summary.byHour[10].inbound == 1)
        #expect(summary.unsyncedEvents == 3 && summary.correctedEvents == 3)

        // The other boot's event is not corrected: it stays on 1970-01-01 (08:00:50 in Shanghai).
        let epochDay = try #require(LocalDate("1970-01-01"))
        let old = try reader.events(on: epochDay, in: zone)
        #expect(old.map(\.code) == [Codes.jd])
        #expect(old.first?.correctedNanos == nil)
        #expect(try reader.summary(of: epochDay, in: zone).totals.inbound == 1)
        await journal.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func observingASynchronisedClockCorrectsWithoutAScan() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let clock = TestClock(wallNanos: 1_000_000_000, bootID: "boot-7", isSynchronized: false)
        let first = try await journal.submit(JournalScan(raw: Codes.sf, device: "desk", role: .inbound, at: clock.now()))
        clock.advance(seconds: 5)
        clock.setWall(nanos: 1_780_000_000_000_000_000, synchronized: true)
        #expect(try await journal.observeClock(clock.now()) == 1)
        #expect(try await journal.observeClock(clock.now()) == 0)
        let event = try #require(try journal.makeReader().event(seq: first.seq))
        let expected: Int64 = 1_780_000_000_000_000_000 - 5_000_000_000
        #expect(event.correctedNanos == expected)
        #expect(event.wallNanos == 1_000_000_000)
        await journal.close()
    }
}
