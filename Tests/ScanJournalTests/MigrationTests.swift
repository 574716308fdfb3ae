import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A version-2 journal written by station-agent 0.1.0 as released (before the hash chain): 20 manual scans of
/// every outcome (`Tests/Fixtures/journal-v2.toml` is the configuration it was made with).
let versionTwoFixture = repositoryRoot + "/Tests/Fixtures/journal-v2.sqlite3"

/// Every column a version-2 event has, as text: what the migration must keep exactly.
let versionTwoColumns = """
    SELECT seq, code, hex(raw), symbology, direction, outcome, reason, command, carrier, carrier_candidates, device, \
    role, usb_vendor_id, usb_product_id, usb_serial, usb_port, source, wall_ns, boot_id, monotonic_ns, clock_synced, \
    corrected_ns, effective_ns, counted, undone, undone_by, state_before, state_after, duplicate_of, mode_change, \
    undo_of, verdict FROM events ORDER BY seq;
    """
let staysDump = "SELECT in_seq, code, carrier, in_ns, out_seq, out_ns FROM stays ORDER BY in_seq;"

func installFixture(_ directory: TemporaryDirectory) throws {
    try #require(mkdir(directory.dataDirectory, 0o750) == 0)
    try #require(runProcess(["/bin/cp", versionTwoFixture, directory.journalPath]).status == 0)
}

@Suite("Migration to schema 3")
struct MigrationTests {
    @Test("a version-2 journal of today's binary is migrated in place: every event kept, chained from the migration")
    func versionTwoIsMigrated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try installFixture(directory)
        let before = sqlite(directory.journalPath, versionTwoColumns)
        let stays = sqlite(directory.journalPath, staysDump)
        let parcels = sqlite(directory.journalPath, "SELECT code, state FROM parcels ORDER BY code;")
        #expect(before.output.split(separator: "\n").count == 20)
        #expect(sqlite(directory.journalPath, "PRAGMA user_version;").output == "2\n")

        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        await journal.close()

        #expect(sqlite(directory.journalPath, "PRAGMA user_version;").output == "4\n")
        #expect(sqlite(directory.journalPath, versionTwoColumns).output == before.output)
        #expect(sqlite(directory.journalPath, staysDump).output == stays.output)
        #expect(sqlite(directory.journalPath, "SELECT name FROM sqlite_master WHERE name LIKE 'parcels%';").output == "")
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        // The parcel states the dropped table held are what the events say.
        for line in parcels.output.split(separator: "\n") {
            let parts = line.split(separator: "|").map(String.init)
            #expect(try reader.parcelState(code: parts[0]).rawValue == parts[1], "\(parts[0])")
        }
        let report = try reader.verifyChain()
        #expect(report.isIntact, "\(report.findings)")
        #expect(report.migratedThrough == 20)
        #expect(independentChain(directory.journalPath).output.hasPrefix("20 "))
        // New events chain on after the migrated ones.
        let again = try ScanJournal(dataDirectory: directory.dataDirectory)
        let accepted = try await again.submit(
            JournalScan(raw: "SF1000000000009", device: "desk", role: .inbound, at: TestClock(wallNanos: 1_780_000_000_000_000_000).now()))
        await again.close()
        #expect(accepted.seq == 21)
        #expect(independentChain(directory.journalPath).output.hasPrefix("21 "))
    }

    @Test("a version-1 journal (no stays) gets the same stays a version-2 journal has, and is chained")
    func versionOneIsBackfilled() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try installFixture(directory)
        let stays = sqlite(directory.journalPath, staysDump)
        #expect(stays.output.split(separator: "\n").count == 6)
        let downgrade = sqlite(
            directory.journalPath,
            "DROP TABLE stays; DROP TRIGGER stays_receipt; DROP TRIGGER stays_release; DROP TRIGGER stays_undo; "
                + "DROP TRIGGER stays_time; PRAGMA user_version = 1;")
        #expect(downgrade.status == 0)
        #expect(throws: JournalError.self) { try JournalReader(dataDirectory: directory.dataDirectory) }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        await journal.close()
        #expect(sqlite(directory.journalPath, staysDump).output == stays.output)
        #expect(sqlite(directory.journalPath, "PRAGMA user_version;").output == "4\n")
        #expect(try JournalReader(dataDirectory: directory.dataDirectory).verifyChain().isIntact)
    }

    /// SIGKILL at random moments of the migration of a large version-2 journal: each time the file is the old
    /// journal or the new one, whole; the next start completes the migration; nothing is lost; the chain is valid.
    @Test(.timeLimit(.minutes(5)))
    func sigkillDuringMigrationLosesNothing() async throws {
        let bench = productsDirectory() + "/station-bench"
        try #require(runProcess([bench, "--help"]).status == 0, "\(bench) is missing: build it first")
        let template = try TemporaryDirectory()
        defer { template.remove() }
        try installFixture(template)
        let rows = 60_000
        let grow = sqlite(
            template.journalPath,
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
            INSERT INTO events (code, raw, outcome, carrier, carrier_candidates, device, role, source, wall_ns, boot_id,
                monotonic_ns, clock_synced, effective_ns, counted, state_before, state_after)
            SELECT printf('ZT%012d', i), CAST(printf('ZT%012d', i) AS BLOB), 'received', 'UNKNOWN', '', 'desk',
                'inbound', 'usb', 1780000000000000000 + i * 1000000000, 'boot-1', i * 1000000000, 1,
                1780000000000000000 + i * 1000000000, 1, 'absent', 'in_stock' FROM n;
            """)
        #expect(grow.status == 0, "\(grow.output)")
        let total = rows + 20
        let before = sqlite(template.journalPath, versionTwoColumns).output

        var generator = SystemRandomNumberGenerator()
        var migrationNanos: UInt64 = 0
        var interrupted = 0
        for round in 0..<21 {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try #require(mkdir(directory.dataDirectory, 0o750) == 0)
            try #require(runProcess(["/bin/cp", template.journalPath, directory.journalPath]).status == 0)
            // The child and its kill block on pipes: on a thread of their own, so this test never holds one of
            // Swift's cooperative threads (two on this machine) that the other tests' waits need.
            let killAt: UInt64? = round == 0 ? nil : UInt64.random(in: 0...migrationNanos, using: &generator)
            let run = await runOnDedicatedThread { () -> (output: String, nanos: UInt64, version: String, check: String, count: String) in
                let started = SystemClock.monotonicNanos()
                guard let child = try? ChildProcess([bench, "crash-child", "--data-dir", directory.dataDirectory]) else {
                    return ("cannot start \(bench)", 0, "", "", "")
                }
                var output = ""
                if let killAt {
                    while SystemClock.monotonicNanos() < started + killAt {
                        if let chunk = child.read(timeoutMilliseconds: 1) { output += chunk }
                    }
                } else {
                    // The first round measures how long the migration takes.
                    while !output.contains("READY"), let chunk = child.read(timeoutMilliseconds: 60_000) { output += chunk }
                }
                let nanos = SystemClock.monotonicNanos() - started
                child.kill()
                while let chunk = child.read(timeoutMilliseconds: 1_000) { output += chunk }
                _ = child.wait()
                return (
                    output, nanos, sqlite(directory.journalPath, "PRAGMA user_version;").output,
                    sqlite(directory.journalPath, "PRAGMA integrity_check;").output,
                    sqlite(directory.journalPath, "SELECT COUNT(*) FROM events;").output
                )
            }
            if killAt == nil {
                migrationNanos = run.nanos
                #expect(run.output.contains("READY"), "\(run.output)")
            }
            // Whole, old or new: the integrity check passes and every event is there with its columns.
            #expect(run.version == "2\n" || run.version == "4\n", "round \(round): version \(run.version)")
            #expect(run.check == "ok\n")
            #expect(run.count == "\(total)\n")
            if run.version == "2\n" { interrupted += 1 }
            // The next start completes it.
            let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
            await journal.close()
            let after = await runOnDedicatedThread {
                (
                    sqlite(directory.journalPath, "PRAGMA user_version;").output,
                    sqlite(directory.journalPath, versionTwoColumns).output, independentChain(directory.journalPath)
                )
            }
            #expect(after.0 == "4\n")
            #expect(after.1 == before, "round \(round)")
            #expect(after.2.status == 0 && after.2.output.hasPrefix("\(total) "), "round \(round): \(after.2.output)")
        }
        #expect(migrationNanos > 50_000_000, "the migration took \(migrationNanos / 1_000_000) ms: too short to interrupt")
        #expect(interrupted >= 5, "only \(interrupted) of 20 kills landed during the migration")
    }
}
