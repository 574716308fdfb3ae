import CountReports
import Hashing
import HumanWords
import Logging
import ParcelRules
import ScanJournal
import StationTestSupport
import StationTime
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Release photos (SPEC §4) from the journal's side: written before the commit under the scan's business day,
/// their SHA-256 in the event, checked by `verify`, removed after `photo_retention_days` by the count refresher.
@Suite("release photos: kept with the event, verified, removed after retention")
struct PhotoTests {
    static func settings(_ directory: TemporaryDirectory, retention: Int) -> CountSettings {
        var settings = CountSettings(
            stationID: "cam-point", stationName: "", zone: shanghai, staleAfterDays: 3, dataDirectory: directory.dataDirectory,
            outboxDirectory: directory.outbox, agentVersion: "test-1")
        settings.photoRetentionDays = retention
        return settings
    }

    /// A "JPEG" per release: its bytes differ per code (the journal keeps any bytes; the camera tests use real ones).
    static func photo(_ code: String) -> [UInt8] { [0xFF, 0xD8] + Array(code.utf8) + [0xFF, 0xD9] }

    /// Releases `code` from a camera at `time` with its photo filed under the day of `time` in Shanghai.
    static func release(_ code: String, at time: Int64, journal: ScanJournal, clock: TestClock) async throws -> AcceptedScan {
        clock.advance(nanoseconds: time - clock.now().wallNanos)
        var scan = JournalScan(raw: code, device: "cam", role: .outbound, at: clock.now())
        scan.pendingPhoto = PendingPhoto(jpeg: photo(code), day: shanghai.businessDay(utcNanos: time).description)
        return try await journal.submit(scan)
    }

    /// Three releases: 2026-08-01, 2026-11-20 and 2026-12-05 (Shanghai), and a desk receipt without a photo.
    static func journal(_ directory: TemporaryDirectory) async throws -> [AcceptedScan] {
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let clock = TestClock(wallNanos: at("2026-08-01", 9, 0))
        var accepted: [AcceptedScan] = []
        accepted.append(try await release("SF1000000000001", at: at("2026-08-01", 9, 0), journal: journal, clock: clock))
        accepted.append(try await release("SF1000000000002", at: at("2026-11-20", 23, 59), journal: journal, clock: clock))
        clock.advance(seconds: 60)
        accepted.append(try await journal.submit(JournalScan(raw: "SF1000000000009", device: "desk", role: .inbound, at: clock.now())))
        accepted.append(try await release("SF1000000000003", at: at("2026-12-05", 0, 30), journal: journal, clock: clock))
        await journal.close()
        return accepted
    }

    @Test("each photo is on disk under its event's day and seq, with the SHA-256 the event (and the chain) holds")
    func keptWithTheEvent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let accepted = try await Self.journal(directory)
        #expect(accepted.map { $0.photo?.path } == ["photos/2026-08-01/1.jpg", "photos/2026-11-20/2.jpg", nil, "photos/2026-12-05/4.jpg"])
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let store = PhotoStore(dataDirectory: directory.dataDirectory)
        for scan in accepted {
            let event = try #require(try reader.event(seq: scan.seq))
            #expect(event.photo == scan.photo)
            guard let photo = event.photo else { continue }
            #expect(store.state(of: photo) == .intact)
            #expect(photo.sha256 == SHA256.hash(Self.photo(event.code)))
        }
        #expect(store.days == ["2026-08-01", "2026-11-20", "2026-12-05"])
        // The photo's hash is part of the chain (an edited one breaks it: ChainTests).
        #expect(try reader.verifyChain(anchors: []).findings.isEmpty)
        #expect(try reader.photos().map(\.seq) == [1, 2, 4])
    }

    @Test("verify: a photo deleted or replaced is a problem naming the seq; one past retention is gone as it should be")
    func verifyFindsTampering() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.journal(directory)
        let settings = Self.settings(directory, retention: 90)
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let now = at("2026-12-05", 12, 0)
        #expect(Verification.checkPhotos(settings: settings, reader: reader, nowNanos: now).isEmpty)
        // 2026-08-01 is more than 90 days before 2026-12-05: removed by retention, not a problem.
        #expect(unlink(directory.dataDirectory + "/photos/2026-08-01/1.jpg") == 0)
        #expect(Verification.checkPhotos(settings: settings, reader: reader, nowNanos: now).isEmpty)
        // Within retention: deleted, and replaced by another release's photo.
        #expect(unlink(directory.dataDirectory + "/photos/2026-11-20/2.jpg") == 0)
        try AtomicFile.write(Self.photo("SF1000000000002"), to: directory.dataDirectory + "/photos/2026-12-05/4.jpg")
        let findings = Verification.checkPhotos(settings: settings, reader: reader, nowNanos: now)
        #expect(findings.map(\.kind) == [.photoMissing, .photoChanged])
        #expect(findings.map(\.file) == ["photos/2026-11-20/2.jpg", "photos/2026-12-05/4.jpg"])
        #expect(findings[0].detail.description.contains("event 2 is missing"))
        #expect(findings[1].detail.description.contains("event 4 is not the one recorded"))
        // A symlink in the photo's place is not followed as the photo.
        #expect(unlink(directory.dataDirectory + "/photos/2026-12-05/4.jpg") == 0)
        #expect(symlink("/etc/hostname", directory.dataDirectory + "/photos/2026-12-05/4.jpg") == 0)
        #expect(Verification.checkPhotos(settings: settings, reader: reader, nowNanos: now).last?.kind == .photoChanged)
    }

    @Test("retention: the refresher removes the photos of days before photo_retention_days, not the events; a clock jump removes nothing more")
    func retention() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.journal(directory)
        let store = PhotoStore(dataDirectory: directory.dataDirectory)
        let refresher = CountRefresher(settings: Self.settings(directory, retention: 30), clock: TestClock(wallNanos: 0), logger: .init(label: "test"))
        // 30 days before 2026-12-05 is 2026-11-05: the August photos go, November's stay.
        refresher.refresh(nowNanos: at("2026-12-05", 12, 0))
        #expect(store.days == ["2026-11-20", "2026-12-05"])
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        #expect(try reader.eventCount() == 4, "the events stay")
        #expect(Verification.checkPhotos(settings: Self.settings(directory, retention: 30), reader: reader, nowNanos: at("2026-12-05", 12, 0)).isEmpty)
        // The clock jumps years ahead with nothing scanned since: the newest event's day bounds "today".
        refresher.refresh(nowNanos: at("2030-01-01", 12, 0))
        #expect(store.days == ["2026-11-20", "2026-12-05"])
        // A clock that shows a day before the software existed (a box without RTC at boot) removes nothing.
        #expect(Self.settings(directory, retention: 1).firstPhotoDayKept(nowNanos: 0, newestEventNanos: nil) == nil)
        // Only day folders are touched: anything else under photos/ stays.
        #expect(mkdir(directory.dataDirectory + "/photos/keep-me", 0o755) == 0)
        #expect(store.removeExpired(inDaysBefore: "2026-12-01") { _, _ in true } == 1)
        #expect(store.days == ["2026-12-05"])
        #expect(access(directory.dataDirectory + "/photos/keep-me", F_OK) == 0)
    }

    /// A box without a real-time clock boots in 1970: the morning's releases are filed under the day the clock
    /// showed, and their events' times are corrected once it is set. Retention and verify judge each photo by its
    /// event's corrected day, so that morning's photos are kept their 90 days, not removed as 56 years old.
    @Test("a photo taken before the clock was set is kept for its event's corrected day, not removed by its 1970 folder")
    func photoTakenBeforeTheClockWasSet() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let boot = "boot-without-rtc"
        // 40 s after boot, the clock still at 1970; it is set at 10 minutes, to 2026-12-05 09:10 (Shanghai).
        var early = JournalScan(
            raw: "SF1000000000001", device: "cam", role: .outbound,
            at: ClockReading(wallNanos: 40_000_000_000, monotonicNanos: 40_000_000_000, bootID: boot, isSynchronized: false))
        early.pendingPhoto = PendingPhoto(jpeg: Self.photo("SF1000000000001"), day: "1970-01-01")
        let first = try await journal.submit(early)
        let set = at("2026-12-05", 9, 10)
        var later = JournalScan(
            raw: "SF1000000000002", device: "cam", role: .outbound,
            at: ClockReading(wallNanos: set, monotonicNanos: 600_000_000_000, bootID: boot, isSynchronized: true))
        later.pendingPhoto = PendingPhoto(jpeg: Self.photo("SF1000000000002"), day: "2026-12-05")
        _ = try await journal.submit(later)
        await journal.close()
        #expect(first.photo?.path == "photos/1970-01-01/1.jpg")
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let corrected = try #require(try reader.event(seq: 1)).effectiveNanos
        #expect(shanghai.businessDay(utcNanos: corrected).description == "2026-12-05", "the event's time is corrected")

        let settings = Self.settings(directory, retention: 90)
        let store = PhotoStore(dataDirectory: directory.dataDirectory)
        let refresher = CountRefresher(settings: settings, clock: TestClock(wallNanos: 0), logger: .init(label: "test"))
        refresher.refresh(nowNanos: at("2026-12-06", 12, 0))
        #expect(store.days == ["1970-01-01", "2026-12-05"], "the photo of the release that morning was removed")
        #expect(Verification.checkPhotos(settings: settings, reader: reader, nowNanos: at("2026-12-06", 12, 0)).isEmpty)
        // Deleted by hand within retention: verify says so, whatever the folder's name.
        #expect(unlink(directory.dataDirectory + "/photos/1970-01-01/1.jpg") == 0)
        let findings = Verification.checkPhotos(settings: settings, reader: reader, nowNanos: at("2026-12-06", 12, 0))
        #expect(findings.map(\.kind) == [.photoMissing])
        #expect(findings.first?.detail.description.contains("event 1 is missing") == true)
    }

    /// Once the event's corrected day is past retention, its photo goes, from whichever folder it is in; a photo of an
    /// event that was never corrected (the clock was never set on that boot) has no known day and stays.
    @Test("retention removes a 1970-folder photo once its event's corrected day is past; an uncorrected one stays")
    func retentionOfPhotosFiledUnderTheWrongDay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        func release(_ code: String, wall: Int64, monotonic: UInt64, boot: String, synced: Bool, day: String) async throws {
            var scan = JournalScan(
                raw: code, device: "cam", role: .outbound,
                at: ClockReading(wallNanos: wall, monotonicNanos: monotonic, bootID: boot, isSynchronized: synced))
            scan.pendingPhoto = PendingPhoto(jpeg: Self.photo(code), day: day)
            _ = try await journal.submit(scan)
        }
        // Boot A, 2026-08-01: a release before the clock was set, then one after (which corrects the first).
        try await release("SF1000000000001", wall: 40_000_000_000, monotonic: 40_000_000_000, boot: "a", synced: false, day: "1970-01-01")
        try await release("SF1000000000002", wall: at("2026-08-01", 9, 10), monotonic: 600_000_000_000, boot: "a", synced: true, day: "2026-08-01")
        // Boot B: the clock is never set on that boot.
        try await release("SF1000000000003", wall: 50_000_000_000, monotonic: 50_000_000_000, boot: "b", synced: false, day: "1970-01-01")
        // Boot C, 2026-12-05: the clock right.
        try await release("SF1000000000004", wall: at("2026-12-05", 9, 0), monotonic: 5_000_000_000, boot: "c", synced: true, day: "2026-12-05")
        await journal.close()
        let settings = Self.settings(directory, retention: 30)
        let refresher = CountRefresher(settings: settings, clock: TestClock(wallNanos: 0), logger: .init(label: "test"))
        refresher.refresh(nowNanos: at("2026-12-05", 12, 0))
        let photos = directory.dataDirectory + "/photos"
        #expect(access(photos + "/1970-01-01/1.jpg", F_OK) != 0, "boot A's early photo is past retention by its corrected day")
        #expect(access(photos + "/2026-08-01", F_OK) != 0)
        #expect(access(photos + "/1970-01-01/3.jpg", F_OK) == 0, "an uncorrected event's photo has no known day: kept")
        #expect(access(photos + "/2026-12-05/4.jpg", F_OK) == 0)
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        #expect(Verification.checkPhotos(settings: settings, reader: reader, nowNanos: at("2026-12-05", 12, 0)).isEmpty)
    }

    /// A power cut between a photo's write and its event's commit leaves a file no event names; the agent removes
    /// such files at its start, so none is taken for the photo of another event of that number.
    @Test("photo files no event names (and leftover .partial files) are removed; recorded ones stay")
    func strayPhotosAreRemoved() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.journal(directory)
        let photos = directory.dataDirectory + "/photos"
        // Seq 3 is the desk receipt (no photo) and 5 was never recorded: both strays, as is a torn write.
        try AtomicFile.write(Self.photo("SF1000000000009"), to: photos + "/2026-11-20/3.jpg")
        try AtomicFile.write(Self.photo("SF1000000000005"), to: photos + "/2026-12-05/5.jpg")
        try AtomicFile.write([0xFF], to: photos + "/2026-12-05/6.jpg.partial")
        try AtomicFile.write([1], to: photos + "/2026-12-05/notes.txt")
        let reader = try JournalReader(dataDirectory: directory.dataDirectory)
        let store = PhotoStore(dataDirectory: directory.dataDirectory)
        #expect(store.removeUnrecorded(recorded: Set(try reader.photos().map(\.photo.path))) == 3)
        #expect(access(photos + "/2026-11-20/3.jpg", F_OK) != 0)
        #expect(access(photos + "/2026-12-05/5.jpg", F_OK) != 0)
        #expect(access(photos + "/2026-12-05/6.jpg.partial", F_OK) != 0)
        #expect(access(photos + "/2026-12-05/notes.txt", F_OK) == 0, "only photo files are touched")
        for photo in try reader.photos() { #expect(store.state(of: photo.photo) == .intact) }
    }

    @Test("a photo that cannot be written (no space, no folder) leaves the scan committed without it, said in the log")
    func unwritablePhoto() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkdir(directory.dataDirectory, 0o755) == 0)
        // A file where the photos folder should be: every photo write fails, as on a full disk.
        try AtomicFile.write([1], to: directory.dataDirectory + "/photos")
        let log = CapturedLog()
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory, logger: log.logger)
        let clock = TestClock(wallNanos: at("2026-12-05", 9, 0))
        let accepted = try await Self.release("SF1000000000001", at: at("2026-12-05", 9, 0), journal: journal, clock: clock)
        await journal.close()
        #expect(accepted.decision.outcome == .releasedUnmatched)
        #expect(accepted.photo == nil)
        #expect(log.messages.contains { $0.contains("release photo of event 1 NOT kept") && $0.contains("recorded without its photo") },
            "\(log.messages)")
        let event = try #require(try JournalReader(dataDirectory: directory.dataDirectory).event(seq: 1))
        #expect(event.photo == nil && event.outcome == .releasedUnmatched)
    }
}
