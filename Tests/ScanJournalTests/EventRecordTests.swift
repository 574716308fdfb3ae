import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing

@Suite("What an event records")
struct EventRecordTests {
    @Test(.timeLimit(.minutes(1)))
    func everyFieldOfSPEC7IsStoredAndReadBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = try #require(throws: JournalError.self) { try JournalReader(dataDirectory: directory.dataDirectory) }
        guard case .noJournal(let path) = missing else {
            Issue.record("expected noJournal, got \(missing)")
            return
        }
        #expect(path == directory.journalPath)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let reading = ClockReading(
            wallNanos: 1_780_000_000_123_456_789, monotonicNanos: 42_000_000_001, bootID: "3660cfa8-fe69-46ec-a2be-b28b90fb5587",
            isSynchronized: false)
        let usb = USBIdentity(vendorID: 0x0c2e, productID: 0x0b61, serial: "17250B1234", port: "1-1.2")
        let scan = JournalScan(
            raw: "]C0" + Codes.sf.lowercased() + "\r\n", device: "gate", role: .outbound, usb: usb, at: reading)
        let accepted = try await journal.submit(scan)
        let event = try #require(try journal.makeReader().event(seq: accepted.seq))
        #expect(event.code == Codes.sf)
        #expect(event.raw == Array(("]C0" + Codes.sf.lowercased() + "\r\n").utf8))
        #expect(event.rawEscaped == "]C0" + Codes.sf.lowercased() + "\\r\\n")
        #expect(event.symbology == "]C0")
        #expect(event.direction == .outbound)
        #expect(event.outcome == .releasedUnmatched)
        #expect(event.verdict == .notInStock)
        #expect(event.carrier == .sf)
        #expect(event.device == "gate" && event.role == .outbound && event.source == .usb)
        #expect(event.usb == usb)
        #expect(event.usb?.vidPid == "0c2e:0b61")
        #expect(event.wallNanos == reading.wallNanos)
        #expect(event.bootID == reading.bootID)
        #expect(event.monotonicNanos == reading.monotonicNanos)
        #expect(!event.clockSynchronized && event.correctedNanos == nil)
        #expect(event.stateBefore == .absent && event.stateAfter == .released)
        #expect(!event.undone && event.undoneBy == nil)
        // Control characters never reach a terminal or CSV unescaped.
        let odd = try await journal.submit(
            JournalScan(raw: "A\u{1B}[2J\\B", device: "gate", role: .outbound, at: reading))
        #expect(try journal.makeReader().event(seq: odd.seq)?.rawEscaped == "A\\x1b[2J\\\\B")
        await journal.close()
    }
}
