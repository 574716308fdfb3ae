import HumanWords
import Foundation
import CountReports
import Hashing
import Logging
import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing

/// A scan session over several days in Asia/Shanghai, through the real journal, with every number of every count
/// file checked against values worked out by hand (see the comments at each scan).
@Suite("Count files of a scripted session")
struct ScriptedSessionTests {
    // Codes: SF (SF + 1 + 12 digits), ZTO (7[34568] + 12 digits), one with no carrier pattern (UNKNOWN).
    static let a = "SF1000000000001", b = "SF1000000000002", f = "SF1000000000003", h = "SF1000000000004"
    static let j = "SF1000000000005", k = "SF1000000000006"
    static let c = "78000000000001", d = "78000000000002", g = "78000000000003"
    static let e = "QQ12345678"

    static func settings(_ directory: TemporaryDirectory) -> CountSettings {
        CountSettings(
            stationID: "yq-xiaohu", stationName: "小湖村快递便民服务点", zone: shanghai, staleAfterDays: 3,
            dataDirectory: directory.dataDirectory, outboxDirectory: directory.outbox, refreshSeconds: 300,
            agentVersion: "test-1")
    }

    /// A refresher over `settings`; every test passes the time to `refresh(nowNanos:)`, so its clock is never read.
    static func refresher(_ settings: CountSettings) -> CountRefresher {
        CountRefresher(settings: settings, clock: TestClock(wallNanos: 0), logger: .init(label: "test"))
    }

    /// Builds the journal. Sequence numbers in brackets.
    static func buildJournal(_ directory: TemporaryDirectory) async throws {
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let clock = TestClock(wallNanos: at("2026-11-01", 8, 0))
        let s = Session(journal: journal, clock: clock)
        func outcome(_ raw: String, _ device: String, _ role: DeviceRole, _ time: Int64) async throws -> Outcome {
            try await s.scan(raw, on: device, role: role, at: time).decision.outcome
        }
        // Day 1, Sunday 2026-11-01. "desk" is an inbound scanner, "counter" a release device, "mobile" switchable.
        #expect(try await outcome(a, "desk", .inbound, at("2026-11-01", 9, 0, 0)) == .received)  // [1] SF
        #expect(try await outcome(a, "desk", .inbound, at("2026-11-01", 9, 0, 2)) == .duplicate)  // [2] SF
        #expect(try await outcome(b, "desk", .inbound, at("2026-11-01", 9, 5)) == .received)  // [3] SF
        #expect(try await outcome(c, "desk", .inbound, at("2026-11-01", 9, 10)) == .received)  // [4] ZTO, stays
        let unknown = try await s.scan(e, on: "desk", role: .inbound, at: at("2026-11-01", 9, 20))  // [5]
        #expect(unknown.decision.outcome == .received && unknown.decision.carrier == .unknown)
        #expect(try await outcome(a, "desk", .inbound, at("2026-11-01", 10, 0)) == .rescan)  // [6] SF
        #expect(try await outcome("12345", "desk", .inbound, at("2026-11-01", 10, 30)) == .rejected)  // [7]
        #expect(try await outcome(a, "counter", .outbound, at("2026-11-01", 14, 0, 0)) == .released)  // [8] SF
        #expect(try await outcome(a, "counter", .outbound, at("2026-11-01", 14, 0, 3)) == .duplicate)  // [9] SF
        #expect(try await outcome(d, "counter", .outbound, at("2026-11-01", 15, 0)) == .releasedUnmatched)  // [10] ZTO
        #expect(try await outcome(a, "counter", .outbound, at("2026-11-01", 16, 0)) == .repeatRelease)  // [11] SF
        #expect(try await outcome(f, "mobile", .switchable, at("2026-11-01", 23, 50)) == .received)  // [12] SF
        #expect(try await outcome(g, "mobile", .switchable, at("2026-11-01", 23, 55)) == .received)  // [13] ZTO, undone
        // Day 2: the undo just after midnight cancels [13], a receipt of day 1.
        let undo = try await s.scan("#STATION:UNDO", on: "mobile", role: .switchable, at: at("2026-11-02", 0, 2))  // [14]
        #expect(undo.decision.undo?.seq == 13)
        #expect(try await outcome(h, "desk", .inbound, at("2026-11-02", 0, 3)) == .received)  // [15] SF
        #expect(try await outcome(b, "counter", .outbound, at("2026-11-02", 10, 0, 0)) == .released)  // [16] SF
        #expect(try await outcome(b, "counter", .outbound, at("2026-11-02", 10, 0, 10)) == .repeatRelease)  // [17] SF
        #expect(try await outcome("ABC", "desk", .inbound, at("2026-11-02", 11, 0)) == .rejected)  // [18]
        // Day 3: nothing. Day 4:
        #expect(try await outcome(e, "counter", .outbound, at("2026-11-04", 12, 0)) == .released)  // [19] UNKNOWN
        #expect(try await outcome(f, "counter", .outbound, at("2026-11-04", 12, 30)) == .released)  // [20] SF
        // A reboot with a clock one minute slow and not synchronised: J is recorded at 12:59:00 wall time...
        clock.reboot(bootID: "boot-2", monotonicNanos: 5_000_000_000, wallNanos: at("2026-11-04", 12, 59, 0), synchronized: false)
        #expect(try await s.scan(j, on: "desk", role: .inbound).decision.outcome == .received)  // [21] SF, unsynced
        // ...10 s later NTP sets the clock right (13:00:10); K's commit corrects J to 13:00:00.
        clock.advance(seconds: 10)
        clock.setWall(nanos: at("2026-11-04", 13, 0, 10), synchronized: true)
        #expect(try await s.scan(k, on: "desk", role: .inbound).decision.outcome == .received)  // [22] SF
        await journal.close()
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        #expect(try reader.event(seq: 21)?.correctedNanos == at("2026-11-04", 13, 0, 0))
    }

    static func expectedJSON(
        date: String, final: Bool, generatedAt: String, totals: [Int], carriers: [(String, [Int])],
        hours: [Int: (Int, Int)], devices: [(String, [Int])], clock: (Int, Int), seq: (Int, Int)?,
        lastHash: String? = nil
    ) -> String {
        let carrierText = carriers.isEmpty ? "{}" : "{\n" + carriers.map { "    \"\($0.0)\": " + counters($0.1, indent: "    ") }.joined(separator: ",\n") + "\n  }"
        let deviceText = devices.isEmpty ? "{}" : "{\n" + devices.map { "    \"\($0.0)\": " + counters($0.1, indent: "    ", stock: false, rejected: true) }.joined(separator: ",\n") + "\n  }"
        return """
            {
              "schema": "station-counts/1",
              "station_id": "yq-xiaohu",
              "station_name": "小湖村快递便民服务点",
              "date": "\(date)",
              "timezone": "Asia/Shanghai",
              "final": \(final),
              "generated_at": "\(generatedAt)",
              "agent_version": "test-1",
              "totals": \(counters(totals, indent: "  ", rejected: true)),
              "by_carrier": \(carrierText),
              "by_hour": [
            \(hourLines(hours))
              ],
              "by_device": \(deviceText),
              "clock": {
                "unsynced_events": \(clock.0),
                "corrected_events": \(clock.1)
              },
              "journal": {
                "first_seq": \(seq.map { String($0.0) } ?? "null"),
                "last_seq": \(seq.map { String($0.1) } ?? "null"),
                "last_hash": \(lastHash.map { "\"\($0)\"" } ?? "null")
              }
            }

            """
    }

    /// The journal's chain hash at `seq` (what `journal.last_hash` must carry), as hex.
    static func chainHash(_ directory: TemporaryDirectory, _ seq: Int64) throws -> String {
        let event = try #require(try JournalReader(dataDirectory: directory.dataDirectory).event(seq: seq))
        #expect(event.hash.count == 32)
        return Hex.encode(event.hash)
    }

    static let csvHeader =
        "station_id,date,carrier,inbound,outbound,in_stock_end,stale,unmatched_outbound,repeat_outbound,duplicates_suppressed,rescans,undone,rejected\n"

    @Test(.timeLimit(.minutes(1)))
    func everyNumberOfEveryDay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.buildJournal(directory)
        let settings = Self.settings(directory)
        let refresher = Self.refresher(settings)

        // The box starts on day 4 at 14:00: days 1 and 2 are finalised, day 4 (today) is written open; day 3 had
        // no events and gets no files.
        let now = at("2026-11-04", 14, 0)
        let report = refresher.refresh(nowNanos: now)
        #expect(report.failures.isEmpty)
        #expect(report.written.map(\.date.description) == ["2026-11-01", "2026-11-02", "2026-11-04"])
        #expect(report.written.map(\.isFinal) == [true, true, false])
        let base = directory.outbox + "/yq-xiaohu_"

        // Day 1. inbound A B C E F (G undone) = 5; outbound A, D = 2; in stock at midnight B C E F = 4, none stale;
        // unmatched D; repeat A; duplicates A in, A out; rescan A; undone G (on its own day); rejected "12345".
        let day1 = Self.expectedJSON(
            date: "2026-11-01", final: true, generatedAt: "2026-11-04T14:00:00+08:00",
            totals: [5, 2, 4, 0, 1, 1, 2, 1, 1, 1],
            carriers: [
                ("SF", [3, 1, 2, 0, 0, 1, 2, 1, 0]),
                ("UNKNOWN", [1, 0, 1, 0, 0, 0, 0, 0, 0]),
                ("ZTO", [1, 1, 1, 0, 1, 0, 0, 0, 1]),
            ],
            hours: [9: (4, 0), 14: (0, 1), 15: (0, 1), 23: (1, 0)],
            devices: [
                ("counter", [0, 2, 1, 1, 1, 0, 0, 0]),
                ("desk", [4, 0, 0, 0, 1, 1, 0, 1]),
                ("mobile", [1, 0, 0, 0, 0, 0, 1, 0]),
            ],
            clock: (0, 0), seq: (1, 13), lastHash: try Self.chainHash(directory, 13))
        #expect(readText(base + "2026-11-01.json") == day1)
        #expect(
            readText(base + "2026-11-01.csv") == Self.csvHeader + """
                yq-xiaohu,2026-11-01,SF,3,1,2,0,0,1,2,1,0,
                yq-xiaohu,2026-11-01,UNKNOWN,1,0,1,0,0,0,0,0,0,
                yq-xiaohu,2026-11-01,ZTO,1,1,1,0,1,0,0,0,1,
                yq-xiaohu,2026-11-01,TOTAL,5,2,4,0,1,1,2,1,1,1

                """)

        // Day 2. inbound H (00:03); outbound B; repeat B; rejected "ABC"; the undo itself counts nothing (its
        // device appears with zeros). In stock at midnight: C E F H = 4; ZTO has no event but C in stock.
        let day2 = Self.expectedJSON(
            date: "2026-11-02", final: true, generatedAt: "2026-11-04T14:00:00+08:00",
            totals: [1, 1, 4, 0, 0, 1, 0, 0, 0, 1],
            carriers: [
                ("SF", [1, 1, 2, 0, 0, 1, 0, 0, 0]),
                ("UNKNOWN", [0, 0, 1, 0, 0, 0, 0, 0, 0]),
                ("ZTO", [0, 0, 1, 0, 0, 0, 0, 0, 0]),
            ],
            hours: [0: (1, 0), 10: (0, 1)],
            devices: [
                ("counter", [0, 1, 0, 1, 0, 0, 0, 0]),
                ("desk", [1, 0, 0, 0, 0, 0, 0, 1]),
                ("mobile", [0, 0, 0, 0, 0, 0, 0, 0]),
            ],
            clock: (0, 0), seq: (14, 18), lastHash: try Self.chainHash(directory, 18))
        #expect(readText(base + "2026-11-02.json") == day2)
        #expect(
            readText(base + "2026-11-02.csv") == Self.csvHeader + """
                yq-xiaohu,2026-11-02,SF,1,1,2,0,0,1,0,0,0,
                yq-xiaohu,2026-11-02,UNKNOWN,0,0,1,0,0,0,0,0,0,
                yq-xiaohu,2026-11-02,ZTO,0,0,1,0,0,0,0,0,0,
                yq-xiaohu,2026-11-02,TOTAL,1,1,4,0,0,1,0,0,0,1

                """)
        #expect(readText(base + "2026-11-03.json") == nil)

        // Day 4 (open). outbound E, F; inbound J (corrected to 13:00:00, unsynced and corrected), K. In stock at
        // the day's end: C H J K = 4; stale = received before 2026-11-02 00:00 = C only (H came at 00:03).
        let day4 = Self.expectedJSON(
            date: "2026-11-04", final: false, generatedAt: "2026-11-04T14:00:00+08:00",
            totals: [2, 2, 4, 1, 0, 0, 0, 0, 0, 0],
            carriers: [
                ("SF", [2, 1, 3, 0, 0, 0, 0, 0, 0]),
                ("UNKNOWN", [0, 1, 0, 0, 0, 0, 0, 0, 0]),
                ("ZTO", [0, 0, 1, 1, 0, 0, 0, 0, 0]),
            ],
            hours: [12: (0, 2), 13: (2, 0)],
            devices: [
                ("counter", [0, 2, 0, 0, 0, 0, 0, 0]),
                ("desk", [2, 0, 0, 0, 0, 0, 0, 0]),
            ],
            clock: (1, 1), seq: (19, 22), lastHash: try Self.chainHash(directory, 22))
        #expect(readText(base + "2026-11-04.json") == day4)
        #expect(
            readText(base + "2026-11-04.csv") == Self.csvHeader + """
                yq-xiaohu,2026-11-04,SF,2,1,3,0,0,0,0,0,0,
                yq-xiaohu,2026-11-04,UNKNOWN,0,1,0,0,0,0,0,0,0,
                yq-xiaohu,2026-11-04,ZTO,0,0,1,1,0,0,0,0,0,
                yq-xiaohu,2026-11-04,TOTAL,2,2,4,1,0,0,0,0,0,0

                """)

        // Day 3 through `counts`: no events, but stock at its end: C E F H, C stale (received 11-01 09:10, more than
        // 3 days before 11-04 00:00? no: 2 days 14 h 50 min) -> 0 stale.
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let day3 = try DayCounter.count(LocalDate("2026-11-03")!, in: shanghai, staleAfterDays: 3, reader: reader)
        #expect(day3.totals == CountRow(inStockEnd: 4))
        #expect(day3.byCarrier == ["SF": CountRow(inStockEnd: 2), "ZTO": CountRow(inStockEnd: 1), "UNKNOWN": CountRow(inStockEnd: 1)])
        #expect(day3.firstSeq == nil && day3.lastSeq == nil && day3.byDevice.isEmpty)

        // SHA256SUMS lists the six files, in `sha256sum -c` format.
        let sums = try #require(readText(directory.outbox + "/SHA256SUMS"))
        #expect(sums.split(separator: "\n").count == 6)
        let check = run(["/bin/sh", "-c", "cd '\(directory.outbox)' && sha256sum -c --strict SHA256SUMS"])
        #expect(check.status == 0, "\(check.output)")
        // Mode 0640.
        #expect(run(["/usr/bin/stat", "-c", "%a", base + "2026-11-01.json"]).output == "640\n")

        // Recomputing gives the same numbers: a second refresher (a restart) leaves final days alone, and `verify`
        // finds nothing.
        let verification = Verification.run(settings: settings, reader: reader, nowNanos: now)
        #expect(verification.problems.isEmpty, "\(verification.problems)")
        #expect(verification.filesChecked == 6)
    }

    @Test(.timeLimit(.minutes(1)))
    func finalFilesAfterTheGraceAndAfterTheBoxWasOffAtMidnight() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.buildJournal(directory)
        let settings = Self.settings(directory)
        let refresher = Self.refresher(settings)
        let path4 = directory.outbox + "/yq-xiaohu_2026-11-04.json"
        let path5 = directory.outbox + "/yq-xiaohu_2026-11-05.json"

        refresher.refresh(nowNanos: at("2026-11-04", 23, 59))
        #expect(readText(path4).flatMap(CountDocument.finalFlag(inJSON:)) == false)
        // Ten minutes after midnight: within the grace, day 4 is still refreshed open; today (no scans) too.
        let early = refresher.refresh(nowNanos: at("2026-11-05", 0, 10))
        #expect(early.written.map { "\($0.date) \($0.isFinal)" } == ["2026-11-04 false", "2026-11-05 false"])
        #expect(refresher.nextWaitNanos(nowNanos: at("2026-11-05", 0, 10)) == 5 * 60 * 1_000_000_000)
        // Past the grace: day 4 final, once.
        let due = refresher.refresh(nowNanos: at("2026-11-05", 0, 15))
        #expect(due.written.map { "\($0.date) \($0.isFinal)" } == ["2026-11-04 true", "2026-11-05 false"])
        #expect(readText(path4).flatMap(CountDocument.finalFlag(inJSON:)) == true)
        let later = refresher.refresh(nowNanos: at("2026-11-05", 0, 20))
        #expect(later.written.map { "\($0.date) \($0.isFinal)" } == ["2026-11-05 false"])
        let finalDay4 = readText(path4)

        // The box is off from day 5 evening to day 7: on start, day 5 (a non-final file) is finalised; finished
        // days are not rewritten.
        let restarted = Self.refresher(settings)
        let start = restarted.refresh(nowNanos: at("2026-11-07", 8, 0))
        #expect(start.written.map { "\($0.date) \($0.isFinal)" } == ["2026-11-05 true", "2026-11-07 false"])
        #expect(readText(path5).flatMap(CountDocument.finalFlag(inJSON:)) == true)
        #expect(readText(path4) == finalDay4)

        // A box off at midnight with no files at all: everything with events is finalised at start.
        let other = try TemporaryDirectory()
        defer { other.remove() }
        var moved = settings
        moved.outboxDirectory = other.outbox
        let fresh = Self.refresher(moved)
        let all = fresh.refresh(nowNanos: at("2026-11-07", 8, 0))
        #expect(all.written.map { "\($0.date) \($0.isFinal)" } == ["2026-11-01 true", "2026-11-02 true", "2026-11-04 true", "2026-11-07 false"])
    }

    @Test("a clock that says 1970 (no real-time clock, not yet set) writes no count files", .timeLimit(.minutes(1)))
    func noFilesWhileTheClockIsImplausible() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.buildJournal(directory)
        let refresher = Self.refresher(Self.settings(directory))
        let report = refresher.refresh(nowNanos: 42 * 1_000_000_000)
        #expect(report.written.isEmpty)
        #expect(report.failures.isEmpty)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.outbox)) ?? []
        #expect(files.filter { $0.hasSuffix(".json") || $0.hasSuffix(".csv") }.isEmpty, "\(files)")
        // Once the clock is set, the same refresher catches up on the real days.
        let later = refresher.refresh(nowNanos: at("2026-11-07", 8, 0))
        #expect(later.written.contains { $0.date == LocalDate("2026-11-04")! && $0.isFinal })
    }

    @Test(.timeLimit(.minutes(1)))
    func verifyCatchesAnEditedFileAndAWrongChecksumLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.buildJournal(directory)
        let settings = Self.settings(directory)
        let now = at("2026-11-04", 14, 0)
        Self.refresher(settings).refresh(nowNanos: now)
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        #expect(Verification.run(settings: settings, reader: reader, nowNanos: now).isOK)

        // Someone "fixes" day 1's inbound in the JSON and updates SHA256SUMS to match: only recomputing sees it.
        let json1 = directory.outbox + "/yq-xiaohu_2026-11-01.json"
        let edited = readText(json1)!.replacing("\"inbound\": 5,", with: "\"inbound\": 6,")
        try writeText(json1, edited)
        var sums = OutboxDirectory(path: directory.outbox).readChecksums()
        sums.entries["yq-xiaohu_2026-11-01.json"] = SHA256.hexDigest(Array(edited.utf8))
        // And a wrong SHA256SUMS line for day 2's CSV.
        sums.entries["yq-xiaohu_2026-11-02.csv"] = String(repeating: "0", count: 64)
        try writeText(directory.outbox + "/SHA256SUMS", sums.text)

        let result = Verification.run(settings: settings, reader: reader, nowNanos: now)
        #expect(!result.isOK)
        #expect(result.problems.map(\.kind.rawValue).sorted() == ["checksum-mismatch", "differs"])
        let differs = try #require(result.problems.first { $0.kind.rawValue == "differs" })
        #expect(differs.file == "yq-xiaohu_2026-11-01.json")
        #expect(differs.detail.description.contains("\"inbound\": 6") && differs.detail.description.contains("\"inbound\": 5"))
        #expect(result.problems.first { $0.kind.rawValue == "checksum-mismatch" }?.file == "yq-xiaohu_2026-11-02.csv")

        // A missing file of a day with events, and a day left non-final.
        _ = run(["/bin/rm", directory.outbox + "/yq-xiaohu_2026-11-04.csv"])
        let later = Verification.run(settings: settings, reader: reader, nowNanos: at("2026-11-06", 9, 0))
        #expect(later.problems.contains { $0.kind.rawValue == "missing" && $0.file == "yq-xiaohu_2026-11-04.csv" })
        #expect(later.problems.contains { $0.kind.rawValue == "not-final" && $0.file == "yq-xiaohu_2026-11-04.json" })
        #expect(later.problems.contains { $0.kind.rawValue == "checksum-missing-file" && $0.file == "yq-xiaohu_2026-11-04.csv" })
        // While the day is open a lagging file is only a note.
        let open = Verification.run(settings: settings, reader: reader, nowNanos: now)
        #expect(open.notes.contains { $0.kind.rawValue == "missing" && $0.file == "yq-xiaohu_2026-11-04.csv" })
    }
}
