public import CountReports
import Hashing
public import StationTime

/// One count file of the outbox as the uploader sees it: its bytes as they are now, and where they go (SPEC §8).
public struct OutboxCountFile: Sendable, Equatable {
    /// `<station_id>_<YYYY-MM-DD>.json` or `.csv`.
    public var name: String
    public var date: LocalDate
    public var isJSON: Bool
    /// The day's JSON says `"final": true` (a CSV goes with its day's JSON).
    public var isFinal: Bool
    public var bytes: [UInt8]
    public var sha256: String

    /// The key under the target's prefix: `date=<D>/station=<id>/<name>`, Hive-style.
    public var key: String

    public var contentType: String { isJSON ? "application/json" : "text/csv; charset=utf-8" }
}

extension OutboxDirectory {
    /// The largest count file the uploader reads (a day's JSON of a busy depot is a few KB).
    static let uploadReadLimit = 4 << 20

    /// The station's count files as they are now, in the order the store gets them: final days first, oldest day
    /// first, then the days still open, oldest first; each day's JSON before its CSV. A file that cannot be read
    /// (a link, not a regular file, too big, removed meanwhile) is left out and named in `unreadable`.
    public func uploadCandidates(stationID: String) -> (files: [OutboxCountFile], unreadable: [String]) {
        var files: [OutboxCountFile] = []
        var unreadable: [String] = []
        for (date, present) in countFiles(stationID: stationID) {
            let paths = paths(stationID: stationID, date: date)
            var dayFiles: [OutboxCountFile] = []
            var isFinal = false
            for (isJSON, path, exists) in [(true, paths.json, present.json), (false, paths.csv, present.csv)] where exists {
                let name = String(path.split(separator: "/").last ?? "")
                guard let bytes = AtomicFile.read(path, maxBytes: Self.uploadReadLimit) else {
                    unreadable.append(name)
                    continue
                }
                if isJSON { isFinal = CountDocument.finalFlag(inJSON: String(decoding: bytes, as: UTF8.self)) == true }
                dayFiles.append(OutboxCountFile(
                    name: name, date: date, isJSON: isJSON, isFinal: false, bytes: bytes,
                    sha256: SHA256.hexDigest(bytes), key: Self.uploadKey(stationID: stationID, date: date, name: name)))
            }
            for index in dayFiles.indices { dayFiles[index].isFinal = isFinal }
            files += dayFiles
        }
        files.sort { a, b in
            if a.isFinal != b.isFinal { return a.isFinal }
            if a.date != b.date { return a.date < b.date }
            return a.isJSON && !b.isJSON
        }
        return (files, unreadable.sorted())
    }

    /// `date=<YYYY-MM-DD>/station=<station_id>/<file>` (SPEC §8).
    public static func uploadKey(stationID: String, date: LocalDate, name: String) -> String {
        "date=\(date)/station=\(stationID)/\(name)"
    }
}
