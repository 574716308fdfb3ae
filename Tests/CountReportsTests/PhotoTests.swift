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
        // The photo's hash is part of the chain: a row whose photo hash is edited breaks it at that seq.
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
        #expect(store.removeDays(before: "2026-12-01") == 1)
        #expect(store.days == ["2026-12-05"])
        #expect(access(directory.dataDirectory + "/photos/keep-me", F_OK) == 0)
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
