import Logging
import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Faults")
struct FaultTests {
    @Test(.timeLimit(.minutes(1)))
    func aReadOnlyDataDirectoryIsReportedClearly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dataDirectory = directory.path + "/readonly"
        #expect(mkdir(dataDirectory, 0o555) == 0)
        if geteuid() == 0 {
            // root ignores permissions: open the journal as `nobody` in the bench's crash child.
            let bench = productsDirectory() + "/station-bench"
            #expect(chmod(directory.path, 0o755) == 0)
            let result = runProcess(
                ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bench, "crash-child",
                 "--data-dir", dataDirectory], stdinText: "")
            #expect(result.status != 0)
            #expect(result.output.contains("read-only file system or not writable"), "got: \(result.output)")
            #expect(result.output.contains(dataDirectory))
        } else {
            #expect {
                _ = try ScanJournal(dataDirectory: dataDirectory)
            } throws: { error in
                guard case .notWritable(let path, _) = error as? JournalError else { return false }
                return path.hasPrefix(dataDirectory)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aJournalFromANewerVersionIsRefusedAndLeftAlone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        await journal.close()
        // user_version lives at byte 60 of the database header.
        var bytes = try readFile(directory.journalPath)
        bytes.replaceSubrange(60..<64, with: [0, 0, 0, 99])
        try writeFile(directory.journalPath, bytes)

        let error = try #require(throws: JournalError.self) { try ScanJournal(dataDirectory: directory.dataDirectory) }
        guard case .newerSchema(let path, 99, 4) = error else {
            Issue.record("expected newerSchema, got \(error)")
            return
        }
        #expect(path == directory.journalPath)
        #expect(error.description.contains("schema version 99"))
        // `scan`'s quick open reads the version too.
        #expect {
            _ = try ScanJournal(dataDirectory: directory.dataDirectory, options: JournalOptions(checksIntegrityAtOpen: false))
        } throws: { error in
            guard case .newerSchema(_, 99, 4) = error as? JournalError else { return false }
            return true
        }
        #expect(throws: JournalError.self) { try JournalReader(dataDirectory: directory.dataDirectory) }
        #expect(try readFile(directory.journalPath) == bytes)
    }

    @Test(.timeLimit(.minutes(1)))
    func aCorruptJournalIsReportedWithItsPathAndNeverOverwritten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.dataDirectory, 0o750) == 0)
        let garbage = Array(String(repeating: "this is not a journal, it is a shopping list. ", count: 200).utf8)
        try writeFile(directory.journalPath, garbage)

        let error = try #require(throws: JournalError.self) { try ScanJournal(dataDirectory: directory.dataDirectory) }
        guard case .corrupt(let path, _) = error else {
            Issue.record("expected corrupt, got \(error)")
            return
        }
        #expect(path == directory.journalPath)
        #expect(error.description.contains(directory.journalPath))
        #expect(try readFile(directory.journalPath) == garbage)
    }

    /// A journal of 300 scans whose table and index pages (page 3 onwards) are overwritten with garbage; its bytes.
    static func journalWithDamagedPages(_ directory: TemporaryDirectory) async throws -> [UInt8] {
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        for index in 0..<300 {
            _ = try await journal.submit(
                JournalScan(raw: "DAMAGE" + String(10_000_000 + index), device: "desk", role: .inbound, at: clock.now()))
        }
        await journal.close()
        var bytes = try readFile(directory.journalPath)
        for offset in (2 * 4096 + 100)..<min(bytes.count, 6 * 4096) { bytes[offset] = 0xA5 }
        try writeFile(directory.journalPath, bytes)
        return bytes
    }

    @Test(.timeLimit(.minutes(1)))
    func aDamagedPageIsFoundAtOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = try await Self.journalWithDamagedPages(directory)
        #expect {
            _ = try ScanJournal(dataDirectory: directory.dataDirectory)
        } throws: { error in
            guard case .corrupt(let path, _) = error as? JournalError else { return false }
            return path == directory.journalPath
        }
        #expect(try readFile(directory.journalPath) == bytes)
    }

    /// `station-agent scan` opens the journal without the whole-file check (a year of a depot's journal takes half a
    /// minute to check): only the header and schema version are read, so a file that is not a journal, or one from
    /// a newer version, is still refused before anything is written.
    @Test(.timeLimit(.minutes(1)))
    func withoutTheWholeFileCheckOnlyTheHeaderAndSchemaAreChecked() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let quick = JournalOptions(checksIntegrityAtOpen: false)
        #expect(mkdir(directory.dataDirectory, 0o750) == 0)
        let garbage = Array(String(repeating: "not a journal either. ", count: 400).utf8)
        try writeFile(directory.journalPath, garbage)
        #expect {
            _ = try ScanJournal(dataDirectory: directory.dataDirectory, options: quick)
        } throws: { error in
            guard case .corrupt = error as? JournalError else { return false }
            return true
        }
        #expect(try readFile(directory.journalPath) == garbage)

        _ = runProcess(["/bin/rm", "-f", directory.journalPath])
        _ = try await Self.journalWithDamagedPages(directory)
        // The whole-file check (the agent's start) finds the damaged pages; the quick open does not read them.
        #expect(throws: JournalError.self) { _ = try ScanJournal(dataDirectory: directory.dataDirectory) }
        let opened = try ScanJournal(dataDirectory: directory.dataDirectory, options: quick)
        await opened.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aFullDiskKeepsScansInMemoryUntilSpaceReturns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let options = JournalOptions(initialRetryDelayNanos: 20_000_000, maximumRetryDelayNanos: 100_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let first = try await journal.submit(JournalScan(raw: Codes.sf, device: "desk", role: .inbound, at: clock.now()))
        // The disk "fills": no page beyond the current ones.
        try await journal.setMaximumPageCount(1)
        let completed = Counter()
        let count = 20
        let submissions = Task {
            try await withThrowingTaskGroup(of: AcceptedScan.self) { group in
                for index in 0..<count {
                    let scan = pageFillingScan("FULL" + String(10_000_000 + index), at: clock)
                    group.addTask {
                        let accepted = try await journal.submit(scan)
                        completed.increment()
                        return accepted
                    }
                }
                var results: [AcceptedScan] = []
                for try await result in group { results.append(result) }
                return results
            }
        }
        let faulted = await eventually(seconds: 10) {
            journal.statistics.failedCommits >= 2 && journal.statistics.pending == count
        }
        #expect(faulted, "statistics: \(journal.statistics)")
        #expect(journal.statistics.lastFailure?.contains("full") == true)
        // Two more failed retries, and still no scan reported accepted.
        let failedBefore = journal.statistics.failedCommits
        #expect(await eventually(seconds: 10) { journal.statistics.failedCommits >= failedBefore + 2 })
        #expect(completed.current == 0, "a scan was reported accepted while the disk was full")
        #expect(try journal.makeReader().eventCount() == 1)

        // Space returns: every held scan is committed, once.
        try await journal.setMaximumPageCount(nil)
        let accepted = try await submissions.value
        #expect(accepted.map(\.seq).sorted() == Array((first.seq + 1)...(first.seq + Int64(count))))
        let reader = try journal.makeReader()
        #expect(try reader.eventCount() == Int64(count + 1))
        #expect(journal.statistics.pending == 0)
        await journal.close()
    }

    /// A release photo is written before its event's commit; a commit the disk refuses must not leave it behind
    /// (a file named after an event that was never recorded, or later recorded for another scan). The retry that
    /// commits writes it again.
    @Test(.timeLimit(.minutes(1)))
    func aReleasePhotoOfACommitThatFailsIsNotLeftBehind() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let options = JournalOptions(initialRetryDelayNanos: 20_000_000, maximumRetryDelayNanos: 100_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let first = try await journal.submit(JournalScan(raw: Codes.sf, device: "desk", role: .inbound, at: clock.now()))
        try await journal.setMaximumPageCount(1)
        let jpeg: [UInt8] = [0xFF, 0xD8] + Array("release of FULL10000001".utf8) + [0xFF, 0xD9]
        var release = pageFillingScan("FULL10000001", device: "release-cam", at: clock)
        release.pendingPhoto = PendingPhoto(jpeg: jpeg, day: "2026-05-28")
        let submission = Task { [release] in try await journal.submit(release) }
        let photo = directory.dataDirectory + "/photos/2026-05-28/\(first.seq + 1).jpg"
        #expect(await eventually(seconds: 10) { journal.statistics.failedCommits >= 2 })
        // Written at every attempt and removed when it fails: absent between attempts.
        #expect(await eventually(seconds: 5) { access(photo, F_OK) != 0 }, "the photo of a failed commit is still there")

        try await journal.setMaximumPageCount(nil)
        let accepted = try await submission.value
        #expect(accepted.seq == first.seq + 1)
        let reference = try #require(accepted.photo)
        #expect(reference.path == "photos/2026-05-28/\(accepted.seq).jpg")
        #expect(try readFile(photo) == jpeg)
        #expect(PhotoStore(dataDirectory: directory.dataDirectory).state(of: reference) == .intact)
        await journal.close()
    }

    /// A full disk is a critical line once; the writer's retries after it are an error line only when they hold more
    /// scans than the last line said, so a technician reading the log of a long outage sees what changed, not a
    /// line per retry (the agent's watchdog loop repeats the state every interval anyway).
    @Test(.timeLimit(.minutes(1)))
    func aFullDiskIsLoggedWhenItStartsAndWhenMoreScansWait() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = CapturedLog()
        let options = JournalOptions(initialRetryDelayNanos: 2_000_000, maximumRetryDelayNanos: 5_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options, logger: log.logger)
        try await journal.setMaximumPageCount(1)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        func submit(_ index: Int) -> Task<Void, any Error> {
            let scan = pageFillingScan("WAIT" + String(10_000_000 + index), at: clock)
            return Task { _ = try await journal.submit(scan) }
        }
        let first = submit(0)
        #expect(await eventually(seconds: 10) { journal.statistics.failedCommits >= 4 })
        let second = submit(1)
        #expect(await eventually(seconds: 10) { journal.statistics.pending == 2 })
        // The first commit to fail after this may have been assembled before the second scan came; the next ones hold it.
        let failedBefore = journal.statistics.failedCommits
        #expect(await eventually(seconds: 10) { journal.statistics.failedCommits >= failedBefore + 3 })
        try await journal.setMaximumPageCount(nil)
        try await first.value
        try await second.value
        await journal.close()

        let lines = log.messages.filter { $0.contains("journal cannot commit") }
        let critical = lines.filter { $0.hasPrefix("critical:") }
        let errors = lines.filter { $0.hasPrefix("error:") }
        #expect(critical.count == 1 && critical.first?.contains("1 scans held") == true, "\(critical)")
        #expect(errors.count == 1 && errors.first?.contains("2 scans held") == true, "\(errors)")
        #expect(lines.filter { $0.hasPrefix("debug:") }.count >= 4, "the retries in between: \(lines.count) lines")
        #expect(log.messages.contains { $0.hasPrefix("notice:") && $0.contains("writable again") })
    }

    /// While nothing changes the log still says so now and then: `station-agent scan` on a full disk has no watchdog
    /// loop, and would otherwise look hung after its first line.
    @Test(.timeLimit(.minutes(1)))
    func anOngoingFullDiskIsRemindedOf() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = CapturedLog()
        let options = JournalOptions(initialRetryDelayNanos: 2_000_000, maximumRetryDelayNanos: 5_000_000, faultReminderNanos: 30_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options, logger: log.logger)
        try await journal.setMaximumPageCount(1)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let scan = pageFillingScan("WAIT10000000", at: clock)
        let waiting = Task { _ = try await journal.submit(scan) }
        func reminders() -> [String] { log.messages.filter { $0.hasPrefix("error:") && $0.contains("journal cannot commit") } }
        #expect(await eventually(seconds: 10) { reminders().count >= 2 }, "\(log.messages.suffix(3))")
        #expect(reminders().allSatisfy { $0.contains("1 scans held") })
        try await journal.setMaximumPageCount(nil)
        try await waiting.value
        await journal.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func beyondTheBacklogBoundScansAreRefusedNotLost() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let options = JournalOptions(maximumBacklog: 3, initialRetryDelayNanos: 20_000_000, maximumRetryDelayNanos: 50_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options)
        try await journal.setMaximumPageCount(1)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let held = (0..<3).map { index in
            let scan = pageFillingScan("HELD" + String(10_000_000 + index), at: clock)
            return Task { try await journal.submit(scan) }
        }
        #expect(await eventually(seconds: 10) { journal.statistics.pending == 3 })
        let refused = JournalScan(raw: "REFUSED12345", device: "desk", role: .inbound, at: clock.now())
        let error = try await #require(throws: JournalError.self) { _ = try await journal.submit(refused) }
        guard case .backlogFull(_, let pending, _) = error else {
            Issue.record("expected backlogFull, got \(error)")
            return
        }
        #expect(pending == 3)
        #expect(error.description.contains("NOT recorded"))
        try await journal.setMaximumPageCount(nil)
        var seqs: [Int64] = []
        for task in held { seqs.append(try await task.value.seq) }
        #expect(seqs.sorted() == [1, 2, 3])
        #expect(try journal.makeReader().events(code: "REFUSED12345").isEmpty)
        await journal.close()
    }

    /// The agent stopping while the disk is full: a clock observation is answered at once (the watchdog loop waits
    /// on it), and closing answers every held scan as NOT recorded and names it in the log, so nothing waits for
    /// ever and a supervisor can enter the codes once the disk is mended.
    @Test(.timeLimit(.minutes(1)))
    func closingWhileTheDiskIsFullAnswersEveryHeldScanAndNamesIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = CapturedLog()
        let options = JournalOptions(initialRetryDelayNanos: 20_000_000, maximumRetryDelayNanos: 50_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options, logger: log.logger)
        try await journal.setMaximumPageCount(1)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let held = (0..<2).map { index in
            let scan = pageFillingScan("HELD" + String(10_000_000 + index), at: clock)
            return Task { () -> Result<AcceptedScan, JournalError> in
                do throws(JournalError) { return .success(try await journal.submit(scan)) } catch { return .failure(error) }
            }
        }
        #expect(await eventually(seconds: 10) { journal.statistics.pending == 2 })

        let answered = Counter()
        let observation = Task {
            defer { answered.increment() }
            _ = try? await journal.observeClock(clock.now())
        }
        #expect(await eventually(seconds: 5) { answered.current == 1 }, "a clock observation waits with the held scans")

        let closed = Counter()
        let closing = Task {
            await journal.close()
            closed.increment()
        }
        #expect(await eventually(seconds: 5) { closed.current == 1 }, "close() waits for the disk")
        // Lets a journal that failed the checks above finish, so the test ends; refused once it is closed.
        try? await journal.setMaximumPageCount(nil)
        await observation.value
        await closing.value
        for task in held {
            let result = await task.value
            guard case .failure(.closedBeforeCommit(_, let lastFailure)) = result else {
                Issue.record("a held scan was not answered as NOT recorded: \(result)")
                continue
            }
            #expect(lastFailure?.contains("full") == true)
        }
        #expect(try journal.makeReader().eventCount() == 0)
        let report = log.messages.filter { $0.contains("NOT recorded") }
        #expect(report.count == 1, "\(log.messages.suffix(3))")
        #expect(report.first?.contains("desk: \"HELD10000000") == true, "\(report)")
        #expect(report.first?.contains("desk: \"HELD10000001") == true, "\(report)")
    }

    /// Eight desks keep scanning while the disk is full. Whatever the writer is doing (taking scans from the queue,
    /// failing a commit, waiting to retry), no more than the bound are ever held: every other scan is refused at
    /// once, so its desk can say so, and nobody waits on a scan the journal should have turned away.
    @Test(.timeLimit(.minutes(1)))
    func theBoundHoldsWhileDesksKeepScanningIntoAFullDisk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bound = 3
        let options = JournalOptions(
            maximumBacklog: bound, initialRetryDelayNanos: 1_000_000, maximumRetryDelayNanos: 2_000_000)
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, options: options)
        try await journal.setMaximumPageCount(1)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let stop = Counter()
        let refused = Counter()
        let stopped = Counter()
        let desks = 8
        let submitters = (0..<desks).map { desk in
            Task { () -> Int64? in
                defer { stopped.increment() }
                var index = 0
                while stop.current == 0 {
                    index += 1
                    let scan = pageFillingScan("D\(desk)X\(10_000_000 + index)", device: "desk\(desk)", at: clock)
                    do {
                        return try await journal.submit(scan).seq
                    } catch let error as JournalError {
                        guard case .backlogFull = error else {
                            Issue.record("desk \(desk): \(error)")
                            return nil
                        }
                        refused.increment()
                        await Task.yield()
                    } catch {
                        Issue.record("desk \(desk): \(error)")
                        return nil
                    }
                }
                return nil
            }
        }
        #expect(await eventually(seconds: 30) { refused.current >= 2_000 && journal.statistics.failedCommits >= 20 })
        stop.increment()
        // Desks that were refused see the stop at once; the others wait on scans the journal holds.
        #expect(await eventually(seconds: 10) { stopped.current >= desks - bound })
        // Every desk has either stopped or waits on a scan the journal holds.
        #expect(await eventually(seconds: 10) { desks - stopped.current == journal.statistics.pending })
        let waiting = desks - stopped.current
        #expect(waiting <= bound, "\(waiting) desks wait on held scans; at most \(bound) may")
        #expect(journal.statistics.pending == waiting, "statistics: \(journal.statistics)")

        try await journal.setMaximumPageCount(nil)
        var seqs: [Int64] = []
        for submitter in submitters {
            if let seq = await submitter.value { seqs.append(seq) }
        }
        #expect(seqs.count == waiting)
        #expect(seqs.sorted() == (0..<seqs.count).map { Int64($0 + 1) })
        #expect(try journal.makeReader().eventCount() == Int64(seqs.count))
        await journal.close()
    }
}

/// A scan whose raw text needs new journal pages (the trailing spaces are normalised away from its code), so a
/// journal capped at its current pages cannot commit it: the tests' full disk. 30,000 bytes are more than the free
/// pages a new journal has (the `parcels` table its version-3 migration drops leaves two).
func pageFillingScan(_ code: String, device: String = "desk", at clock: TestClock) -> JournalScan {
    JournalScan(raw: code + String(repeating: " ", count: 30_000), device: device, role: .inbound, at: clock.now())
}

func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    try #require(fd >= 0, "cannot open \(path)")
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
    try #require(fd >= 0, "cannot create \(path)")
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    try #require(written == bytes.count)
}

@Suite("Fault log policy")
struct FaultLogPolicyTests {
    @Test("critical first, debug while nothing changes, error when more scans wait, the failure changes or a reminder is due")
    func levels() {
        var policy = FaultLogPolicy(reminderNanos: 60_000_000_000)
        let start = ContinuousClock.now
        var levels: [Logger.Level] = []
        for (held, failure, second) in [
            (1, "full", 0), (1, "full", 1), (2, "full", 2), (2, "full", 3), (2, "read-only", 4), (2, "read-only", 63),
            (2, "read-only", 65),
        ] {
            levels.append(policy.level(held: held, failure: failure, now: start + .seconds(second)))
        }
        #expect(levels == [.critical, .debug, .error, .debug, .error, .debug, .error])
        let ended = policy.recovered()
        let endedAgain = policy.recovered()
        #expect(ended && !endedAgain)
        let next = policy.level(held: 1, failure: "full", now: start + .seconds(70))
        #expect(next == .critical)
    }
}
