public import ScanJournal
import Hashing
import StationTime

/// `verify`: the journal's integrity, and every count file of the station recomputed from the journal and compared.
public struct Verification: Sendable {
    /// One finding.
    public struct Finding: Sendable, Hashable {
        /// `journal`, `differs`, `not-final`, `missing`, `checksum-mismatch`, `checksum-missing-file`,
        /// `checksum-unlisted`, `checksum-malformed`, `checksum-file-missing`, `unreadable`, `leftover-temporary`.
        public let kind: String
        /// The file concerned (a name in the outbox), if any.
        public let file: String?
        public let detail: String

        public init(kind: String, file: String?, detail: String) {
            self.kind = kind
            self.file = file
            self.detail = detail
        }
    }

    public init() {}

    public var journal: JournalIntegrity?
    /// Problems: `verify` exits 3 when there is any.
    public var problems: [Finding] = []
    /// Things worth knowing that are not problems (today's files lag by up to `count_refresh_seconds`).
    public var notes: [Finding] = []
    /// Count files recomputed and compared.
    public var filesChecked = 0

    public var isOK: Bool { problems.isEmpty }

    /// Verifies the outbox of `settings` against the journal read by `reader`, at `nowNanos`.
    ///
    /// - Days that are closed (ended, grace included) must have both files, final, identical to a recomputation
    ///   apart from `generated_at`.
    /// - Open days (today, yesterday within the grace) are refreshed by the running agent. A file that is simply older
    ///   than the journal (its `journal.last_seq` is below the day's last event: events came since the last refresh)
    ///   is a note. A file that says it is as new as the journal must match it exactly: any difference is a problem.
    /// - A count file for a day that has not begun, and count files of another station id, are problems.
    /// - `SHA256SUMS` must list every count file with its current digest, and nothing else that is missing.
    public static func run(settings: CountSettings, reader: JournalReader, nowNanos: Int64) -> Verification {
        var result = Verification()
        do {
            let integrity = try reader.integrity()
            result.journal = integrity
            if !integrity.isOK {
                result.problems.append(
                    Finding(kind: "journal", file: nil, detail: "integrity check: " + integrity.messages.prefix(5).joined(separator: "; ")))
            }
        } catch {
            result.problems.append(Finding(kind: "journal", file: nil, detail: error.description))
            return result
        }
        let outbox = settings.outbox
        guard let names = outbox.list() else {
            result.problems.append(Finding(kind: "unreadable", file: nil, detail: "\(outbox.path): cannot list the outbox"))
            return result
        }
        let present = Set(names)
        let files = outbox.countFiles(stationID: settings.stationID)

        let today = settings.zone.businessDay(utcNanos: nowNanos)
        // Files of another station: after a station_id change they would be uploaded, but nothing checks them.
        var others: [String: [String]] = [:]
        for name in names.sorted() where OutboxDirectory.isCountFileName(name) {
            guard let underscore = name.lastIndex(of: "_") else { continue }
            let id = String(name[..<underscore])
            if id != settings.stationID { others[id, default: []].append(name) }
        }
        for id in others.keys.sorted() {
            let list = others[id]!
            result.problems.append(
                Finding(
                    kind: "other-station", file: list[0],
                    detail: "\(list.count) count file(s) of station '\(id)', not this station '\(settings.stationID)': they cannot be checked here; if station_id was changed, move them out of the outbox (and their lines out of SHA256SUMS)"))
        }

        // Every file recomputed.
        for date in files.keys.sorted() {
            if date > today {
                result.problems.append(
                    Finding(
                        kind: "not-begun", file: outbox.paths(stationID: settings.stationID, date: date).json.split(separator: "/").last.map(String.init),
                        detail: "a count file for \(date), a day that has not begun (today is \(today)): it cannot hold real counts; remove it"))
                continue
            }
            let closed = settings.isClosed(date, nowNanos: nowNanos)
            // Whether this day's files are simply older than the journal (an open day between refreshes): the JSON's
            // journal.last_seq is below the day's last event. The CSV is written with its JSON, so it follows it.
            var olderThanJournal = false
            if !closed, let expectedLast = (try? settings.document(for: date, reader: reader, nowNanos: nowNanos))?.counts.lastSeq,
                let bytes = AtomicFile.read(outbox.paths(stationID: settings.stationID, date: date).json)
            {
                let fileLast = CountDocument.lastSeq(inJSON: String(decoding: bytes, as: UTF8.self))
                olderThanJournal = fileLast.map { $0 < expectedLast } ?? true
            }
            let expected: CountDocument
            do {
                expected = try settings.document(for: date, reader: reader, nowNanos: nowNanos)
            } catch {
                result.problems.append(Finding(kind: "journal", file: nil, detail: "\(date): \(error)"))
                continue
            }
            let paths = outbox.paths(stationID: settings.stationID, date: date)
            for (path, isJSON) in [(paths.json, true), (paths.csv, false)] {
                let name = isJSON ? expected.jsonFileName : expected.csvFileName
                guard isJSON ? files[date]!.json : files[date]!.csv else { continue }
                guard let bytes = AtomicFile.read(path) else {
                    result.problems.append(Finding(kind: "unreadable", file: name, detail: "cannot read \(path)"))
                    continue
                }
                result.filesChecked += 1
                let text = String(decoding: bytes, as: UTF8.self)
                var wanted = expected
                if isJSON {
                    // `generated_at` is not compared; `final` is checked on its own below.
                    wanted.header.generatedAt = CountDocument.generatedAt(inJSON: text) ?? wanted.header.generatedAt
                    let flag = CountDocument.finalFlag(inJSON: text)
                    wanted.header.isFinal = flag ?? closed
                    if closed && flag == false {
                        result.problems.append(
                            Finding(kind: "not-final", file: name, detail: "the day is over but the file says \"final\": false"))
                    }
                }
                let expectedText = isJSON ? wanted.json : wanted.csv
                if text != expectedText {
                    let finding = Finding(
                        kind: "differs", file: name, detail: firstDifference(found: text, expected: expectedText))
                    if closed || !olderThanJournal {
                        result.problems.append(finding)
                    } else {
                        result.notes.append(
                            Finding(
                                kind: "older-than-journal", file: name,
                                detail: "events came after this file was written; the running agent rewrites it within count_refresh_seconds (\(finding.detail))"))
                    }
                }
            }
        }

        // Days with events must have their files.
        do {
            for date in try reader.eventDays(in: settings.zone) {
                let entry = files[date] ?? (false, false)
                let paths = outbox.paths(stationID: settings.stationID, date: date)
                for (has, path) in [(entry.json, paths.json), (entry.csv, paths.csv)] where !has {
                    let name = String(path.split(separator: "/").last ?? "")
                    let finding = Finding(kind: "missing", file: name, detail: "\(date) has events but no \(name)")
                    if settings.isClosed(date, nowNanos: nowNanos) { result.problems.append(finding) } else { result.notes.append(finding) }
                }
            }
        } catch {
            result.problems.append(Finding(kind: "journal", file: nil, detail: error.description))
        }

        // SHA256SUMS.
        let countFileNames = names.filter { OutboxDirectory.parseCountFileName($0, stationID: settings.stationID) != nil }
        if !present.contains(OutboxDirectory.checksumFileName) {
            if !countFileNames.isEmpty {
                result.problems.append(
                    Finding(kind: "checksum-file-missing", file: OutboxDirectory.checksumFileName, detail: "no SHA256SUMS in \(outbox.path)"))
            }
        } else {
            let sums = outbox.readChecksums()
            for line in sums.malformedLines {
                result.problems.append(Finding(kind: "checksum-malformed", file: OutboxDirectory.checksumFileName, detail: "not a sha256sum line: \(line)"))
            }
            for name in sums.entries.keys.sorted() {
                guard let bytes = AtomicFile.read(outbox.path + "/" + name) else {
                    result.problems.append(
                        Finding(kind: "checksum-missing-file", file: name, detail: "listed in SHA256SUMS but not in the outbox"))
                    continue
                }
                let digest = SHA256.hexDigest(bytes)
                if digest != sums.entries[name] {
                    result.problems.append(
                        Finding(kind: "checksum-mismatch", file: name, detail: "SHA256SUMS says \(sums.entries[name]!), the file's is \(digest)"))
                }
            }
            for name in countFileNames where sums.entries[name] == nil {
                result.problems.append(Finding(kind: "checksum-unlisted", file: name, detail: "not listed in SHA256SUMS"))
            }
        }
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            result.notes.append(
                Finding(kind: "leftover-temporary", file: name, detail: "a temporary file left by an interrupted write (replaced at the next write)"))
        }
        return result
    }

    static func firstDifference(found: String, expected: String) -> String {
        let foundLines = found.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(foundLines.count, expectedLines.count) {
            let a = index < foundLines.count ? String(foundLines[index]) : "<end of file>"
            let b = index < expectedLines.count ? String(expectedLines[index]) : "<end of file>"
            if a != b {
                return "line \(index + 1): file has \(a.trimmingSpaces), the journal gives \(b.trimmingSpaces)"
            }
        }
        return "the files differ"
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }))
    }
}
