import HumanWords
import CountReports
import CountUpload
import Foundation
import StationTestSupport
import StoreClient
import Testing

/// What the uploader sends first, what it says on the STATUS line, and how it backs off (SPEC §8).
@Suite("Upload order, status and backoff")
struct UploadOrderTests {
    func write(_ directory: String, _ name: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(text.utf8))
    }

    @Test("final days first, oldest first, then the open days; each day's JSON before its CSV; other stations' files and links left out")
    func order() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = directory.path + "/outbox"
        try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
        for (date, final) in [("2026-12-03", false), ("2026-10-05", true), ("2026-12-01", true), ("2026-12-02", false), ("2026-11-30", true)] {
            write(outbox, "x_\(date).json", "{\n  \"schema\": \"station-counts/1\",\n  \"final\": \(final)\n}\n")
            write(outbox, "x_\(date).csv", "station_id,date\r\nx,\(date)\r\n")
        }
        write(outbox, "other_2026-12-01.json", "{}")
        write(outbox, "SHA256SUMS", "")
        try FileManager.default.createSymbolicLink(atPath: outbox + "/x_2026-09-01.json", withDestinationPath: "/etc/passwd")
        let (files, unreadable) = OutboxDirectory(path: outbox).uploadCandidates(stationID: "x")
        #expect(files.map(\.name) == [
            "x_2026-10-05.json", "x_2026-10-05.csv", "x_2026-11-30.json", "x_2026-11-30.csv", "x_2026-12-01.json",
            "x_2026-12-01.csv", "x_2026-12-02.json", "x_2026-12-02.csv", "x_2026-12-03.json", "x_2026-12-03.csv",
        ])
        #expect(files.first?.key == "date=2026-10-05/station=x/x_2026-10-05.json")
        #expect(files.filter(\.isFinal).count == 6, "a CSV goes with its day's JSON")
        #expect(unreadable == ["x_2026-09-01.json"], "a link is not followed")
        #expect(files.first { $0.name.hasSuffix(".csv") }?.contentType == "text/csv; charset=utf-8")
    }

    @Test("the STATUS line says how many wait, since when, and why, in a few words")
    func statusLine() {
        var status = UploadStatus()
        #expect(status.line(nowNanos: 0) == "upload: all count files sent")
        status.waiting = 2
        status.waitingSinceNanos = 0
        status.problem = StoreError.credentials(status: 403, code: "SignatureDoesNotMatch", message: "").statusWords
        #expect(status.line(nowNanos: 3 * 86_400 * 1_000_000_000) == "upload: 2 files waiting since 3 days: store refuses the secret")
        status.waiting = 1
        status.problem = nil
        status.waitingSinceNanos = nil
        #expect(status.line(nowNanos: 0) == "upload: 1 file waiting")
        #expect(UploadStatus.age(90 * 1_000_000_000) == "90 s")
        #expect(UploadStatus.age(50 * 60 * 1_000_000_000) == "50 min")
        #expect(UploadStatus.age(5 * 3_600 * 1_000_000_000) == "5 h")
    }
}
