import StationTestSupport
import CountReports
import Hashing
import Logging
import ParcelRules
import ScanJournal
import StationTime
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("SHA-256")
struct SHA256Tests {
    @Test func fipsVectors() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hexDigest(
                Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8))
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(
            SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (lengths around 55, 56, 63, 64, 119, 128) against the system's `sha256sum`.
    @Test(.timeLimit(.minutes(1)))
    func agreesWithSha256sumAtEveryLengthUpTo130() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var lines = ""
        for length in 0...130 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try AtomicFile.write(bytes, to: directory.path + "/f\(length)")
            lines += SHA256.hexDigest(bytes) + "  f\(length)\n"
        }
        try writeText(directory.path + "/SUMS", lines)
        let check = run(["/bin/sh", "-c", "cd '\(directory.path)' && sha256sum -c --strict --quiet SUMS"])
        #expect(check.status == 0, "\(check.output)")
    }
}

@Suite("Atomic count files")
struct AtomicFileTests {
    @Test(.timeLimit(.minutes(1)))
    func aConcurrentReaderNeverSeesAPartialFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/counts.json"
        let small = Array(String(repeating: "a", count: 3_000).utf8)
        let large = Array(String(repeating: "b", count: 200_000).utf8)
        try AtomicFile.write(small, to: path)
        let stop = Atomic<Bool>(false)
        // Whatever happens below, the spinning reader stops: left running it would hold one of the few
        // cooperative threads for the rest of the test run.
        defer { stop.store(true, ordering: .relaxed) }
        let readCount = Atomic<Int>(0)
        let reader = Task.detached { () -> (reads: Int, bad: Int) in
            var reads = 0
            var bad = 0
            while !stop.load(ordering: .relaxed) {
                if let bytes = AtomicFile.read(path) {
                    reads += 1
                    readCount.add(1, ordering: .relaxed)
                    if bytes != small && bytes != large { bad += 1 }
                } else {
                    bad += 1  // the name must exist at every moment
                }
            }
            return (reads, bad)
        }
        for _ in 0..<500 where readCount.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let writer = Task.detached {
            for round in 0..<400 { try AtomicFile.write(round % 2 == 0 ? large : small, to: path) }
        }
        try await writer.value
        stop.store(true, ordering: .relaxed)
        let (reads, bad) = await reader.value
        #expect(bad == 0)
        #expect(reads > 0)
        let leftovers = (OutboxDirectory(path: directory.path).list() ?? []).filter { $0.hasPrefix(".counts.json.") }
        #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")
    }

    @Test func aCrashBetweenTheTemporaryFileAndTheRenameLeavesTheOldFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/counts.csv"
        try writeText(path, "old\n")
        // The process "dies" here: the new content is complete and synced in the temporary file, never renamed.
        let temporary = try AtomicFile.writeTemporary(Array("new\n".utf8), to: path)
        #expect(readText(path) == "old\n")
        #expect(readText(temporary.path) == "new\n")
        #expect(temporary.path.hasPrefix(directory.path + "/.counts.csv.") && temporary.path.hasSuffix(".tmp"))
        // The next write (after a restart) completes and removes the leftover.
        try writeText(path, "newer\n")
        #expect(readText(path) == "newer\n")
        #expect(readText(temporary.path) == nil)
        #expect((OutboxDirectory(path: directory.path).list() ?? []) == ["counts.csv"])
    }

    @Test func aFullDiskLeavesThePreviousFilesIntact() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = OutboxDirectory(path: directory.outbox)
        try outbox.create()
        let counts = DayCounts(date: LocalDate("2026-11-01")!, timezone: "Asia/Shanghai", range: 0..<1)
        var document = CountDocument(
            header: CountFileHeader(stationID: "st", stationName: "", isFinal: false, generatedAt: "t0", agentVersion: "1"),
            counts: counts)
        try outbox.write(document)
        let before = (
            readText(outbox.path + "/st_2026-11-01.json"), readText(outbox.path + "/st_2026-11-01.csv"),
            readText(outbox.checksumPath))

        // The disk fills after 100 bytes.
        let budget = Mutex(100)
        let full = OutboxDirectory(
            path: directory.outbox,
            operations: FileOperations(write: { fd, bytes in
                let allowed = budget.withLock { budget in
                    let allowed = min(budget, bytes.count)
                    budget -= allowed
                    return allowed
                }
                if allowed == 0 {
                    errno = ENOSPC
                    return -1
                }
                return Glibc.write(fd, bytes.baseAddress, allowed)
            }))
        document.header.generatedAt = "t1"
        document.counts.totals.inbound = 7
        let error = try #require(throws: CountFileError.self) { try full.write(document) }
        #expect(error.errno == ENOSPC)
        #expect(error.description.contains("disk is full"))
        #expect(readText(outbox.path + "/st_2026-11-01.json") == before.0)
        #expect(readText(outbox.path + "/st_2026-11-01.csv") == before.1)
        #expect(readText(outbox.checksumPath) == before.2)
        #expect(outbox.list() == ["SHA256SUMS", "st_2026-11-01.csv", "st_2026-11-01.json"])
    }

    @Test func csvCellsCannotBecomeFormulas() {
        #expect(CountDocument.csvCell("=1+1") == "'=1+1")
        #expect(CountDocument.csvCell("+86") == "'+86")
        #expect(CountDocument.csvCell("-5") == "'-5")
        #expect(CountDocument.csvCell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CountDocument.csvCell("a,b") == "\"a,b\"")
        #expect(CountDocument.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CountDocument.csvCell("=a,b") == "\"'=a,b\"")
        #expect(CountDocument.csvCell("SF") == "SF")
    }

    @Test func unsafeStationIDsNeverNameAFile() throws {
        for bad in ["", "../x", "a/b", ".hidden", "-x", String(repeating: "a", count: 65), "a b", "站"] {
            #expect(!OutboxDirectory.isSafeStationID(bad), "\(bad)")
        }
        #expect(OutboxDirectory.isSafeStationID("yq-yuxian-xiaohu"))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let document = CountDocument(
            header: CountFileHeader(stationID: "../escape", stationName: "", isFinal: false, generatedAt: "", agentVersion: ""),
            counts: DayCounts(date: LocalDate("2026-11-01")!, timezone: "UTC", range: 0..<1))
        #expect(throws: CountFileError.self) { try OutboxDirectory(path: directory.path).write(document) }
        #expect(OutboxDirectory(path: directory.path).list() == [])
    }
}

@Suite("Stock at a past instant")
struct StockTests {
    /// The stock at every hour boundary of the session equals a naive replay of the journal's events.
    @Test(.timeLimit(.minutes(1)))
    func stockAtAnyInstantMatchesAReplay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await ScriptedSessionTests.buildJournal(directory)
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let events = try reader.events(after: 0, limit: 1_000)
        var instant = at("2026-11-01", 0, 0)
        while instant < at("2026-11-06", 0, 0) {
            var state: [String: (inStock: Bool, since: Int64)] = [:]
            for event in events where !event.undone && event.effectiveNanos < instant {
                switch event.outcome {
                case .received: state[event.code] = (true, event.effectiveNanos)
                case .released, .releasedUnmatched: state[event.code] = (false, 0)
                default: break
                }
            }
            let cut = instant - 86_400_000_000_000
            let expected = state.values.filter(\.inStock)
            let stock = try reader.stock(atNanos: instant, staleBeforeNanos: cut)
            #expect(stock.totals.inStockEnd == expected.count, "at \(shanghai.rfc3339(utcNanos: instant))")
            #expect(stock.totals.stale == expected.filter { $0.since < cut }.count, "at \(shanghai.rfc3339(utcNanos: instant))")
            instant += 3_600_000_000_000
        }
    }
}

@Suite("The refresher as a service")
struct RefresherServiceTests {
    @Test(.timeLimit(.minutes(1)))
    func runWritesTodaysFilesAndStopsOnCancellation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let now = at("2026-11-04", 14, 0)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        _ = try await journal.submit(
            JournalScan(raw: "SF1000000000001", device: "desk", role: .inbound, at: TestClock(wallNanos: now - 60_000_000_000).now()))
        await journal.close()
        let settings = CountSettings(
            stationID: "st", stationName: "", zone: shanghai, staleAfterDays: 3, dataDirectory: directory.dataDirectory,
            outboxDirectory: directory.outbox, refreshSeconds: 1, agentVersion: "t")
        let refresher = CountRefresher(settings: settings, clock: TestClock(wallNanos: now), logger: Logger(label: "test"))
        let task = Task { try await refresher.run() }
        var found = false
        for _ in 0..<500 {
            if readText(directory.outbox + "/st_2026-11-04.csv")?.contains("TOTAL,1,0,1") == true {
                found = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        _ = await task.result
        #expect(found)
        refresher.stop()
        #expect(readText(directory.outbox + "/st_2026-11-04.json").flatMap(CountDocument.finalFlag(inJSON:)) == false)
    }
}

extension AtomicFileTests {
    /// Issue 16.9: a TAB inside a cell is quoted, and a formula after leading whitespace is defused too.
    @Test func csvCellsQuoteTabsAndDefuseFormulasAfterSpaces() {
        #expect(CountDocument.csvCell("a\tb") == "\"a\tb\"")
        #expect(CountDocument.csvCell(" =cmd") == "' =cmd")
        #expect(CountDocument.csvCell("   +1") == "'   +1")
        #expect(CountDocument.csvCell("\u{3000}@SUM(A1)") == "'\u{3000}@SUM(A1)")
        #expect(CountDocument.csvCell(" a") == " a")
        #expect(CountDocument.csvCell("12") == "12")
    }
}

extension AtomicFileTests {
    /// Issue 16.4: only regular files are read, never through a link, never a FIFO or a device, and only up to a cap.
    @Test(.timeLimit(.minutes(1)))
    func readRefusesLinksFIFOsDevicesAndHugeFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = directory.path + "/plain"
        try writeText(plain, "ok\n")
        #expect(AtomicFile.read(plain) == Array("ok\n".utf8))
        #expect(symlink(plain, directory.path + "/link") == 0)
        #expect(AtomicFile.read(directory.path + "/link") == nil)
        #expect(symlink("/dev/zero", directory.path + "/zero") == 0)
        #expect(AtomicFile.read(directory.path + "/zero") == nil)
        #expect(AtomicFile.read("/dev/zero") == nil)
        #expect(mkfifo(directory.path + "/fifo", 0o644) == 0)
        #expect(AtomicFile.read(directory.path + "/fifo") == nil, "returns at once, no writer needed")
        try writeText(directory.path + "/big", String(repeating: "x", count: 100))
        #expect(AtomicFile.read(directory.path + "/big", maxBytes: 99) == nil)
        #expect(AtomicFile.read(directory.path + "/big", maxBytes: 100)?.count == 100)
    }

    @Test(.timeLimit(.minutes(1)))
    func atomicWriteReplacesAPlantedLinkAndFIFOWithoutFollowingThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let victim = directory.path + "/victim"
        try writeText(victim, "keep\n")
        #expect(symlink(victim, directory.path + "/target") == 0)
        try AtomicFile.write(Array("new\n".utf8), to: directory.path + "/target")
        #expect(readText(victim) == "keep\n")
        #expect(readText(directory.path + "/target") == "new\n")
        #expect(mkfifo(directory.path + "/fifo", 0o644) == 0)
        try AtomicFile.write(Array("new\n".utf8), to: directory.path + "/fifo")
        #expect(readText(directory.path + "/fifo") == "new\n")
    }
}

/// SPEC §7: a business day on which the agent ran gets its count files even with no scans (all zeros), so a
/// supervisor tells an idle point from a dead box (issue #10, defect 11).
@Suite("Days without scans")
struct IdleDayTests {
    func settings(_ directory: TemporaryDirectory) -> CountSettings {
        CountSettings(
            stationID: "idle", stationName: "", zone: shanghai, staleAfterDays: 3, dataDirectory: directory.dataDirectory,
            outboxDirectory: directory.outbox, refreshSeconds: 300, agentVersion: "t")
    }

    @Test("today's files are written with zeros, and an open idle day is finalised at the next start", .timeLimit(.minutes(1)))
    func idleDays() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The agent opens (creates) the journal; nobody scans.
        await (try ScanJournal(dataDirectory: directory.dataDirectory)).close()
        let first = CountRefresher(settings: settings(directory), clock: TestClock(wallNanos: 0), logger: Logger(label: "test"))
        let report = first.refresh(nowNanos: at("2026-11-04", 14, 0))
        #expect(report.failures.isEmpty, "\(report.failures)")
        let csv = try #require(readText(directory.outbox + "/idle_2026-11-04.csv"))
        #expect(csv.hasSuffix("idle,2026-11-04,TOTAL,0,0,0,0,0,0,0,0,0,0\n"), "\(csv)")
        #expect(readText(directory.outbox + "/idle_2026-11-04.json")?.contains("\"final\": false") == true)
        #expect(readText(directory.outbox + "/SHA256SUMS")?.contains("idle_2026-11-04.csv") == true)

        // The box was off over midnight and starts two days later: the open idle day gets its final files; the day
        // it did not run at all gets none; today gets its zeros.
        let next = CountRefresher(settings: settings(directory), clock: TestClock(wallNanos: 0), logger: Logger(label: "test"))
        let later = next.refresh(nowNanos: at("2026-11-06", 9, 0))
        #expect(later.failures.isEmpty, "\(later.failures)")
        #expect(readText(directory.outbox + "/idle_2026-11-04.json")?.contains("\"final\": true") == true)
        #expect(readText(directory.outbox + "/idle_2026-11-05.json") == nil)
        #expect(readText(directory.outbox + "/idle_2026-11-06.json")?.contains("\"final\": false") == true)
    }
}
