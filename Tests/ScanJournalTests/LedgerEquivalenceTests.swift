import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing

/// A shift at a station, replayed into the SQLite journal and into the rules' reference ledger side by side.
struct Shift {
    let journal: ScanJournal
    var ledger = InMemoryParcelLedger()
    let clock: TestClock
    let rules = ScanRules()

    /// Scans on a device, in the journal and in the ledger, and checks that both decide the same.
    @discardableResult
    mutating func scan(
        _ raw: String, on device: String = "desk", role: DeviceRole = .switchable,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> AcceptedScan {
        let scan = JournalScan(raw: raw, device: device, role: role, at: clock.now())
        let accepted = try await journal.submit(scan)
        let expected = ledger.scan(scan.input, rules: rules)
        #expect(accepted.decision == expected, "journal and ledger disagree on \(raw)", sourceLocation: sourceLocation)
        #expect(accepted.seq == Int64(ledger.entries.count), sourceLocation: sourceLocation)
        return accepted
    }
}

@Suite("The journal decides like the reference ledger")
struct LedgerEquivalenceTests {
    @Test(.timeLimit(.minutes(1)))
    func scriptedSessionMatchesTheLedger() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let clock = TestClock(wallNanos: try instant(zone, "2026-11-30", 9, 0, 0))
        var shift = Shift(journal: try ScanJournal(dataDirectory: directory.dataDirectory), clock: clock)

        // Receipts on the desk scanner (switchable, inbound until a mode card).
        #expect(try await shift.scan(Codes.sf + "\r").decision.outcome == .received)
        clock.advance(seconds: 2)
        #expect(try await shift.scan(Codes.sf + "\r").decision.outcome == .duplicate)
        clock.advance(seconds: 10)
        #expect(try await shift.scan(Codes.sf).decision.outcome == .rescan)
        try await shift.scan("]C0" + Codes.zto)
        try await shift.scan(Codes.yto.lowercased())
        try await shift.scan(Codes.jt)
        // Rejects: too short, bad characters, a product barcode.
        #expect(try await shift.scan("12345").decision.outcome == .rejected)
        #expect(try await shift.scan("AB-1234567").decision.reason == .badCharacters)
        #expect(try await shift.scan("6901234567892").decision.reason == .productBarcode)
        // Undo after a receipt: the JT receipt is cancelled.
        clock.advance(seconds: 5)
        let undo = try await shift.scan("#STATION:UNDO")
        #expect(undo.decision.undo?.code == Codes.jt)

        // Switch the desk scanner to outbound and release.
        try await shift.scan("#STATION:OUT")
        clock.advance(seconds: 30)
        #expect(try await shift.scan(Codes.sf).decision.outcome == .released)
        #expect(try await shift.scan(Codes.sf).decision.outcome == .duplicate)
        clock.advance(seconds: 10)
        #expect(try await shift.scan(Codes.sf).decision.outcome == .repeatRelease)
        #expect(try await shift.scan(Codes.ems).decision.outcome == .releasedUnmatched)
        try await shift.scan(Codes.zto)
        // Undo after a release: ZTO goes back in stock.
        clock.advance(seconds: 3)
        #expect(try await shift.scan("#STATION:UNDO").decision.undo?.restoredState == .inStock)
        // A fixed-role release device ignores mode cards and releases.
        #expect(try await shift.scan("#STATION:IN", on: "gate", role: .outbound).decision.reason == .modeCardIgnored)
        #expect(try await shift.scan(Codes.yto, on: "gate", role: .outbound).decision.verdict == .ok)
        // A parcel received again after its release.
        clock.advance(seconds: 60)
        try await shift.scan("#STATION:IN")
        #expect(try await shift.scan(Codes.sf).decision.outcome == .received)
        try await shift.scan(Codes.sto, on: "shelf", role: .inbound)
        try await shift.scan(Codes.yunda, on: "shelf", role: .inbound)

        // The day's totals and the stock are the ledger's.
        let reader = try shift.journal.makeReader()
        let summary = try reader.summary(of: try #require(LocalDate("2026-11-30")), in: zone)
        let expected = shift.ledger.totals()
        let totals = summary.totals
        #expect(totals.inbound == expected.inbound)
        #expect(totals.outbound == expected.outbound)
        #expect(totals.unmatchedOutbound == expected.unmatchedOutbound)
        #expect(totals.repeatOutbound == expected.repeatOutbound)
        #expect(totals.duplicatesSuppressed == expected.duplicatesSuppressed)
        #expect(totals.rescans == expected.rescans)
        #expect(totals.undone == expected.undone)
        #expect(totals.rejected == expected.rejected)
        #expect(try reader.stock(atNanos: Int64.max, staleBeforeNanos: Int64.min).totals.inStockEnd == expected.inStockEnd)
        #expect(totals.undone == 2 && totals.rejected == 3 && totals.duplicatesSuppressed == 2)
        for carrier in [Carrier.sf, .zto, .yto, .ems] {
            let ledgerCarrier = shift.ledger.totals(carrier: carrier)
            let journalCarrier = summary.byCarrier[carrier] ?? ParcelCounts()
            #expect(journalCarrier.inbound == ledgerCarrier.inbound, "inbound of \(carrier)")
            #expect(journalCarrier.outbound == ledgerCarrier.outbound, "outbound of \(carrier)")
            #expect(journalCarrier.undone == ledgerCarrier.undone, "undone of \(carrier)")
        }
        for code in [Codes.sf, Codes.zto, Codes.yto, Codes.jt, Codes.ems, Codes.sto] {
            #expect(try reader.parcelState(code: code) == shift.ledger.parcelState(of: code), "state of \(code)")
        }
        // Every event is listed once, in order, with the undo marks.
        let events = try reader.events(on: try #require(LocalDate("2026-11-30")), in: zone)
        #expect(events.map(\.seq) == shift.ledger.entries.map(\.seq))
        #expect(events.map(\.undone) == shift.ledger.entries.map(\.undone))
        #expect(events.first?.rawEscaped == Codes.sf + "\\r")
        #expect(events.first(where: { $0.code == Codes.zto })?.symbology == "]C0")
        await shift.journal.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func modeCardsSurviveReopeningTheJournal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        var journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        _ = try await journal.submit(JournalScan(raw: "#STATION:OUT", device: "desk", role: .switchable, at: clock.now()))
        await journal.close()

        journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        clock.advance(seconds: 1)
        let release = try await journal.submit(JournalScan(raw: Codes.sf, device: "desk", role: .switchable, at: clock.now()))
        #expect(release.decision.direction == .outbound)
        #expect(release.decision.outcome == .releasedUnmatched)
        #expect(release.decision.verdict == .notInStock)
        // Another switchable device is still inbound.
        let other = try await journal.submit(JournalScan(raw: Codes.zto, device: "counter", role: .switchable, at: clock.now()))
        #expect(other.decision.direction == .inbound)
        #expect(try journal.makeReader().switchableMode(device: "desk") == .outbound)
        await journal.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func scansAroundMidnightLandInTheirBusinessDays() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let beforeMidnight = try instant(zone, "2026-11-30", 23, 59, 59)
        let atMidnight = try instant(zone, "2026-12-01", 0, 0, 0)
        for (code, wall) in [(Codes.sf, beforeMidnight), (Codes.zto, atMidnight)] {
            let reading = ClockReading(wallNanos: wall, monotonicNanos: 1_000, bootID: "boot-1", isSynchronized: true)
            _ = try await journal.submit(JournalScan(raw: code, device: "desk", role: .inbound, at: reading))
        }
        let reader = try journal.makeReader()
        let november30 = try #require(LocalDate("2026-11-30"))
        let december1 = try #require(LocalDate("2026-12-01"))
        #expect(try reader.events(on: november30, in: zone).map(\.code) == [Codes.sf])
        #expect(try reader.events(on: december1, in: zone).map(\.code) == [Codes.zto])
        #expect(try reader.summary(of: november30, in: zone).byHour[23].inbound == 1)
        #expect(try reader.summary(of: december1, in: zone).byHour[0].inbound == 1)
        // In UTC both are on 2026-11-30 (15:59:59Z and 16:00:00Z).
        #expect(try reader.events(on: november30, in: .utc).count == 2)
        #expect(zone.rfc3339(utcNanos: atMidnight) == "2026-12-01T00:00:00+08:00")
        await journal.close()
    }
}
