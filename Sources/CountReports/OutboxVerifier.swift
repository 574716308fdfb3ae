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

    /// The hash chain recomputed from the genesis (SPEC §7), anchored at every count file's `journal.last_hash`:
    /// the first event deleted, changed, inserted or out of order, and a tail cut off after a file was written.
    static func chainFindings(settings: CountSettings, reader: JournalReader) -> [Finding] {
        var anchors: [ChainAnchor] = []
        for (date, present) in settings.outbox.countFiles(stationID: settings.stationID) where present.json {
            let path = settings.outbox.paths(stationID: settings.stationID, date: date).json
            guard let bytes = AtomicFile.read(path),
                let anchor = CountDocument.chainAnchor(inJSON: String(decoding: bytes, as: UTF8.self))
            else { continue }
            anchors.append(ChainAnchor(source: String(path.split(separator: "/").last ?? ""), seq: anchor.seq, hash: anchor.hash))
        }
        do {
            let report = try reader.verifyChain(anchors: anchors)
            return report.findings.map { Finding(kind: "chain-" + $0.kind.rawValue, file: nil, detail: $0.description) }
        } catch {
            return [Finding(kind: "journal", file: nil, detail: "the hash chain could not be checked: \(error)")]
        }
    }

    /// Verifies the outbox of `settings` against the journal read by `reader`, at `nowNanos`.
    ///
    /// - Days that are closed (ended, grace included) must have both files, final, identical to a recomputation
    ///   apart from `generated_at`.
    /// - Open days (today, yesterday within the grace) are refreshed by the running agent: a difference or a missing
    ///   file there is a note.
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
        result.problems += chainFindings(settings: settings, reader: reader)
        let outbox = settings.outbox
        guard let names = outbox.list() else {
            result.problems.append(Finding(kind: "unreadable", file: nil, detail: "\(outbox.path): cannot list the outbox"))
            return result
        }
        let present = Set(names)
        let files = outbox.countFiles(stationID: settings.stationID)

        // Every file recomputed.
        for date in files.keys.sorted() {
            let closed = settings.isClosed(date, nowNanos: nowNanos)
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
                    if closed { result.problems.append(finding) } else { result.notes.append(finding) }
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
