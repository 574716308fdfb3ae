import HumanWords
import Hashing
import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The repository's top folder (for `deploy/journal-chain.py`, the independent recomputation of the chain).
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
}()

/// Runs `deploy/journal-chain.py` (Python's sqlite3 and hashlib, not station-agent's code) on a journal: its last
/// seq and hash, or the break it found.
func independentChain(_ journalPath: String) -> (status: Int32, output: String) {
    runProcess(["/usr/bin/python3", repositoryRoot + "/deploy/journal-chain.py", journalPath])
}

/// A journal with a day of scans of every outcome, closed.
func chainedJournal(_ directory: TemporaryDirectory, scans: Int = 30) async throws -> ScanJournal {
    let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
    let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
    for index in 0..<scans {
        let code = "SF" + String(1_000_000_000_000 + index % 12)
        let role: DeviceRole = index % 3 == 2 ? .outbound : .inbound
        clock.advance(seconds: 7)
        _ = try await journal.submit(JournalScan(raw: code, device: index % 2 == 0 ? "desk" : "gate", role: role, at: clock.now()))
    }
    clock.advance(seconds: 1)
    _ = try await journal.submit(JournalScan(raw: "6901234567892", device: "desk", role: .inbound, at: clock.now()))
    _ = try await journal.submit(JournalScan(raw: "#STATION:UNDO", device: "gate", role: .outbound, at: clock.now()))
    return journal
}

func sqlite(_ path: String, _ sql: String) -> (status: Int32, output: String) {
    runProcess(["/usr/bin/sqlite3", path, sql])
}

@Suite("Hash chain")
struct ChainTests {
    @Test("every event is chained, and the chain equals an independent recomputation", .timeLimit(.minutes(3)))
    func chainOf100000Events() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let total = 100_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<8 {
                group.addTask {
                    for index in stride(from: producer, to: total, by: 8) {
                        let role: DeviceRole = index % 5 == 4 ? .outbound : .inbound
                        let scan = JournalScan(
                            raw: "ZT" + String(10_000_000 + index / 2), device: "desk\(producer)", role: role, at: clock.now())
                        _ = try await journal.submit(scan)
                    }
                }
            }
            try await group.waitForAll()
        }
        await journal.close()
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let report = try reader.verifyChain()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.eventCount == Int64(total))
        #expect(report.lastSeq == Int64(total))
        let recomputed = independentChain(directory.journalPath)
        #expect(recomputed.status == 0, "\(recomputed.output)")
        #expect(recomputed.output == "\(total) \(Hex.encode(try #require(report.lastHash)))\n")
        // scans' hash is the stored link: the newest event's is the chain's head.
        #expect(try reader.event(seq: Int64(total))?.hash == report.lastHash)
    }

    @Test("the device's bytes are stored exactly, also when they are not UTF-8, and shown escaped")
    func rawBytesAreKeptExactly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let bytes: [UInt8] = Array("SF1".utf8) + [0xFF, 0xFE, 0x1B] + Array("[2J".utf8)
        let accepted = try await journal.submit(JournalScan(raw: bytes, device: "desk", role: .inbound, at: clock.now()))
        #expect(accepted.decision.outcome == .rejected)
        await journal.close()
        let event = try #require(try JournalReader(dataDirectory: directory.dataDirectory).event(seq: accepted.seq))
        #expect(event.raw == bytes)
        #expect(event.rawEscaped == "SF1\\xff\\xfe\\x1b[2J")
        #expect(sqlite(directory.journalPath, "SELECT hex(raw), typeof(raw) FROM events;").output == "534631FFFE1B5B324A|blob\n")
        #expect(independentChain(directory.journalPath).status == 0)
    }

    /// Each way of tampering, on a copy of the same journal: the break is named, at the right seq.
    @Test(
        "verify names the first tampered event and what was done to it",
        arguments: [
            ("DELETE FROM events WHERE seq = 12;", ChainFinding.Kind.missing, Int64(12)),
            ("UPDATE events SET code = 'SF1000000000099' WHERE seq = 9;", .changed, 9),
            ("UPDATE events SET outcome = 'rejected' WHERE seq = 15;", .changed, 15),
            ("UPDATE events SET raw = CAST(raw AS TEXT) WHERE seq = 4;", .changed, 4),
            // A release photo swapped and its event's photo reference edited to match, or a photo given to an event.
            ("UPDATE events SET photo_path = 'photos/2026-05-28/6.jpg', photo_sha256 = zeroblob(32) WHERE seq = 6;", .changed, 6),
            ("UPDATE events SET photo_sha256 = zeroblob(32) WHERE seq = 30;", .changed, 30),
            (
                "INSERT INTO events (seq, code, raw, outcome, carrier_candidates, device, role, source, wall_ns, boot_id, "
                    + "monotonic_ns, clock_synced, effective_ns, counted) SELECT 33, code, raw, outcome, '', device, role, "
                    + "source, wall_ns + 1, boot_id, monotonic_ns + 1, clock_synced, effective_ns + 1, counted "
                    + "FROM events WHERE seq = 3;",
                .inserted, 33
            ),
            (
                "UPDATE events SET seq = seq + 1000 WHERE seq >= 20; UPDATE events SET seq = seq - 999 WHERE seq >= 1000; "
                    + "INSERT INTO events (seq, code, raw, outcome, carrier_candidates, device, role, source, wall_ns, "
                    + "boot_id, monotonic_ns, clock_synced, effective_ns, counted, hash) SELECT 20, 'SF1000000000077', "
                    + "raw, outcome, '', device, role, source, wall_ns, boot_id, monotonic_ns, clock_synced, effective_ns, "
                    + "counted, hash FROM events WHERE seq = 21;",
                .inserted, 20
            ),
            (
                "UPDATE events SET seq = -1 WHERE seq = 7; UPDATE events SET seq = 7 WHERE seq = 8; "
                    + "UPDATE events SET seq = 8 WHERE seq = -1;",
                .reordered, 7
            ),
        ] as [(String, ChainFinding.Kind, Int64)])
    func tamperingIsNamed(sql: String, kind: ChainFinding.Kind, seq: Int64) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try await chainedJournal(directory)
        await journal.close()
        #expect(try JournalReader(dataDirectory: directory.dataDirectory).verifyChain().isIntact)
        let tampered = sqlite(directory.journalPath, sql)
        #expect(tampered.status == 0, "\(tampered.output)")
        let report = try JournalReader(dataDirectory: directory.dataDirectory).verifyChain()
        let finding = try #require(report.findings.first, "the tampering went unnoticed")
        #expect(finding.kind == kind, "\(finding)")
        #expect(finding.seq == seq, "\(finding)")
        #expect(independentChain(directory.journalPath).status == 1)
    }

    @Test("a cut tail is found from a count file's anchor; an anchor the journal no longer matches too")
    func tailCutAndRewrittenAnchors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try await chainedJournal(directory)
        await journal.close()
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let head = try reader.verifyChain()
        let last = try #require(head.lastSeq)
        let anchor = ChainAnchor(source: "st_2026-11-30.json", seq: last, hash: try #require(head.lastHash))
        #expect(try reader.verifyChain(anchors: [anchor]).isIntact)

        #expect(sqlite(directory.journalPath, "DELETE FROM events WHERE seq > \(last - 3);").status == 0)
        let cut = try JournalReader(dataDirectory: directory.dataDirectory).verifyChain(anchors: [anchor])
        #expect(cut.findings.map(\.kind) == [.tailCut])
        #expect(cut.findings.first?.seq == last - 2)
        #expect(cut.findings.first?.detail.description.contains("st_2026-11-30.json") == true)

        // New events after the cut chain on from the shortened journal: the anchor's hash then differs.
        let reopened = try ScanJournal(dataDirectory: directory.dataDirectory)
        for index in 0..<3 {
            _ = try await reopened.submit(
                JournalScan(raw: "YT100000000000\(index)", device: "desk", role: .inbound, at: TestClock(wallNanos: 1_780_000_000_000_000_000).now()))
        }
        await reopened.close()
        let rewritten = try JournalReader(dataDirectory: directory.dataDirectory).verifyChain(anchors: [anchor])
        #expect(rewritten.findings.map(\.kind) == [.anchorMismatch])
        #expect(rewritten.findings.first?.seq == last)
    }
}
