import ScanJournal
import StationTestSupport
import Testing

/// The upload ledger (schema v4, SPEC §8): what the store acknowledged survives a restart, exactly per file and
/// target, and the problem that keeps files waiting keeps its "since" while it is the same problem.
@Suite("Upload ledger")
struct UploadLedgerTests {
    func record(_ file: String, sha: String, target: String = "s3://county/yuxian", at: Int64 = 1_000) -> UploadRecord {
        UploadRecord(
            target: target, file: file, key: "s3://county/yuxian/date=2026-12-03/station=x/\(file)", sha256: sha,
            size: 120, ackedAtNanos: at, status: 200, etag: "9e107d9d372bb6826bd81d3542a419d6", answer: "200 etag 9e107d9d")
    }

    @Test("an acknowledgement is durable, replaced by a newer one of the same file, and kept apart per target")
    func acknowledgements() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let ledger = try UploadLedger(dataDirectory: directory.dataDirectory)
            try ledger.acknowledge(record("x_2026-12-03.json", sha: "aa"))
            try ledger.acknowledge(record("x_2026-12-03.csv", sha: "bb"))
            try ledger.acknowledge(record("x_2026-12-03.json", sha: "cc", at: 2_000))
            try ledger.acknowledge(record("x_2026-12-03.json", sha: "dd", target: "https://other/"))
            ledger.close()
        }
        let reader = try UploadLedger(readingDataDirectory: directory.dataDirectory)
        defer { reader.close() }
        let records = try reader.records(target: "s3://county/yuxian")
        #expect(records.count == 2)
        #expect(records["x_2026-12-03.json"] == record("x_2026-12-03.json", sha: "cc", at: 2_000))
        #expect(records["x_2026-12-03.csv"]?.sha256 == "bb")
        #expect(try reader.records(target: "https://other/")["x_2026-12-03.json"]?.sha256 == "dd")
        #expect(try reader.records(target: "s3://elsewhere").isEmpty)
    }

    @Test("a problem keeps its start while it is the same kind, restarts with another kind, and ends with an acknowledgement")
    func problems() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try UploadLedger(dataDirectory: directory.dataDirectory)
        defer { ledger.close() }
        let target = "s3://county/yuxian"
        #expect(try ledger.problem(target: target) == nil)
        try ledger.recordProblem(target: target, kind: "unreachable", message: "store unreachable", atNanos: 10)
        let second = try ledger.recordProblem(target: target, kind: "unreachable", message: "store unreachable (reset)", atNanos: 20)
        #expect(second == UploadProblem(target: target, kind: "unreachable", message: "store unreachable (reset)", sinceNanos: 10, lastNanos: 20, attempts: 2))
        let other = try ledger.recordProblem(target: target, kind: "credentials:SignatureDoesNotMatch", message: "secret", atNanos: 30)
        #expect(other.sinceNanos == 30 && other.attempts == 1)
        try ledger.acknowledge(record("x_2026-12-03.json", sha: "aa"))
        #expect(try ledger.problem(target: target) == nil)
    }

    @Test("the ledger lives in the journal's file, which the writer opens at schema 4 with its chain intact")
    func sharesTheJournal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try UploadLedger(dataDirectory: directory.dataDirectory)
        try ledger.acknowledge(record("x_2026-12-03.json", sha: "aa"))
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        await journal.close()
        ledger.close()
        #expect(sqlite(directory.journalPath, "PRAGMA user_version;").output == "4\n")
        #expect(sqlite(directory.journalPath, "SELECT file, sha256 FROM uploads;").output == "x_2026-12-03.json|aa\n")
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        #expect(try reader.verifyChain().isIntact)
    }
}
