public import HumanWords
public import ScanJournal
import Hashing
import StationTime
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// `verify`: the journal's integrity and hash chain, and every count file of the station recomputed from the
/// journal and compared. Each check is a function of its own (``checkJournal(_:)``, ``checkChain(settings:reader:)``,
/// ``checkFiles(settings:reader:nowNanos:)``, ``checkMissingDays(settings:reader:nowNanos:)``,
/// ``checkChecksums(_:names:stationID:)``, ``checkLeftovers(names:)``), so each can be tested alone.
public struct Verification: Sendable {
    /// One finding.
    public struct Finding: Sendable, Hashable {
        /// What was found; the raw value is what `verify` prints and `--json` carries.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case journal
            case chainMissing = "chain-missing"
            case chainChanged = "chain-changed"
            case chainInserted = "chain-inserted"
            case chainReordered = "chain-reordered"
            case chainTailCut = "chain-tail_cut"
            case chainAnchorMismatch = "chain-anchor_mismatch"
            case differs
            case notFinal = "not-final"
            case missing
            case checksumMismatch = "checksum-mismatch"
            case checksumMissingFile = "checksum-missing-file"
            case checksumUnlisted = "checksum-unlisted"
            case checksumMalformed = "checksum-malformed"
            case checksumFileMissing = "checksum-file-missing"
            case unreadable
            case leftoverTemporary = "leftover-temporary"
            /// A file of another station id (left by a `station_id` change).
            case otherStation = "other-station"
            /// A count file for a day that has not begun.
            case notBegun = "not-begun"
            /// An open day's file written before the journal's latest events (the agent rewrites it soon).
            case olderThanJournal = "older-than-journal"
            /// A release photo an event names is gone, before `photo_retention_days` allowed it (SPEC §4).
            case photoMissing = "photo-missing"
            /// A release photo's bytes are not those whose SHA-256 the event (and so the chain) holds.
            case photoChanged = "photo-changed"
            /// A release photo is there but cannot be read (permissions, a failing card): not judged.
            case photoUnreadable = "photo-unreadable"

            init(_ chain: ChainFinding.Kind) {
                switch chain {
                case .missing: self = .chainMissing
                case .changed: self = .chainChanged
                case .inserted: self = .chainInserted
                case .reordered: self = .chainReordered
                case .tailCut: self = .chainTailCut
                case .anchorMismatch: self = .chainAnchorMismatch
                }
            }
        }

        public let kind: Kind
        /// The file concerned (a name in the outbox), if any.
        public let file: String?
        public let detail: Words

        public init(kind: Kind, file: String?, detail: Words) {
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

    /// Verifies the outbox of `settings` against the journal read by `reader`, at `nowNanos`: every check below.
    public static func run(settings: CountSettings, reader: JournalReader, nowNanos: Int64) -> Verification {
        var result = Verification()
        let integrity = checkJournal(reader)
        result.journal = integrity.report
        result.problems += integrity.problems
        guard integrity.report != nil else { return result }
        result.problems += checkChain(settings: settings, reader: reader)
        result.problems += checkPhotos(settings: settings, reader: reader, nowNanos: nowNanos)
        var names = settings.outbox.list()
        if names == nil, access(settings.outbox.path, F_OK) != 0, errno == ENOENT {
            // No outbox yet (a manual scan before the agent first ran): no count files; days with events and no
            // files are for checkMissingDays.
            names = []
        }
        guard let names else {
            result.problems.append(
                Finding(kind: .unreadable, file: nil, detail: Words("\(settings.outbox.path): cannot list the outbox")))
            return result
        }
        func checkOutbox(_ names: [String]) -> Verification {
            var part = Verification()
            part.problems += checkOtherStations(names: names, stationID: settings.stationID)
            part.add(checkFiles(settings: settings, reader: reader, nowNanos: nowNanos))
            part.add(checkMissingDays(settings: settings, reader: reader, nowNanos: nowNanos))
            part.problems += checkChecksums(settings.outbox, names: names, stationID: settings.stationID)
            part.notes += checkLeftovers(names: names)
            return part
        }
        // Under the outbox's shared lock, so a refresh of the running agent is seen whole or not at all. A box
        // without an outbox, or one this user cannot lock, is checked as it is.
        if let locked = try? settings.outbox.withLock(shared: true, { () throws(CountFileError) in
            checkOutbox(settings.outbox.list() ?? names)
        }) {
            result.add(locked)
        } else {
            result.add(checkOutbox(names))
        }
        return result
    }

    /// Adds another check's findings and files.
    mutating func add(_ other: Verification) {
        problems += other.problems
        notes += other.notes
        filesChecked += other.filesChecked
    }

    /// `PRAGMA integrity_check` (a nil report when the journal cannot be read at all).
    public static func checkJournal(_ reader: JournalReader) -> (report: JournalIntegrity?, problems: [Finding]) {
        do {
            let integrity = try reader.integrity()
            guard integrity.isOK else {
                return (integrity, [
                    Finding(kind: .journal, file: nil, detail: Words("integrity check: \(integrity.messages.prefix(5).joined(separator: "; "))"))
                ])
            }
            return (integrity, [])
        } catch {
            return (nil, [Finding(kind: .journal, file: nil, detail: Words("\(error)"))])
        }
    }

    /// The hash chain recomputed from the genesis (SPEC §7), anchored at every count file's `journal.last_hash`:
    /// the first event deleted, changed, inserted or out of order, and a tail cut off after a file was written.
    public static func checkChain(settings: CountSettings, reader: JournalReader) -> [Finding] {
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
            return report.findings.map { Finding(kind: Finding.Kind($0.kind), file: nil, detail: Words("\($0.kind.rawValue) at seq \($0.seq): \($0.detail)")) }
        } catch {
            return [Finding(kind: .journal, file: nil, detail: Words("the hash chain could not be checked: \(error)"))]
        }
    }

    /// Every release photo an event names (SPEC §4): present with the SHA-256 the event holds, unless its day is past
    /// `photo_retention_days` (removed by the agent, as it should be). Each problem names the event's seq; past
    /// ``photoFindingLimit`` of them the rest are summed up in one line.
    public static func checkPhotos(settings: CountSettings, reader: JournalReader, nowNanos: Int64) -> [Finding] {
        let photos: [(seq: Int64, photo: PhotoReference, effectiveNanos: Int64)]
        do {
            photos = try reader.photos()
        } catch {
            return [Finding(kind: .journal, file: nil, detail: Words("the release photos could not be listed: \(error)"))]
        }
        guard !photos.isEmpty else { return [] }
        let newest = try? reader.lastSeq().flatMap { try reader.event(seq: $0)?.effectiveNanos }
        let firstKept = settings.firstPhotoDayKept(nowNanos: nowNanos, newestEventNanos: newest ?? nil)
        let store = PhotoStore(dataDirectory: settings.dataDirectory)
        var findings: [Finding] = []
        var more: [Finding.Kind: Int] = [:]
        for (seq, photo, effectiveNanos) in photos {
            let finding: Finding
            switch store.state(of: photo) {
            case .intact:
                continue
            case .missing:
                // Gone by retention, as it should be: judged by the event's day (as corrected), as the agent does.
                if let firstKept, settings.photoExpired(effectiveNanos: effectiveNanos, firstKept: firstKept) { continue }
                finding = Finding(
                    kind: .photoMissing, file: photo.path,
                    detail: Words("the release photo of event \(seq) is missing (deleted before photo_retention_days): the proof of that release is lost"))
            case .changed:
                finding = Finding(
                    kind: .photoChanged, file: photo.path,
                    detail: Words("the release photo of event \(seq) is not the one recorded: its SHA-256 differs from the event's (replaced or edited)"))
            case .unreadable(let code):
                finding = Finding(
                    kind: .photoUnreadable, file: photo.path,
                    detail: Words("the release photo of event \(seq) cannot be read (\(SystemErrno(code))): run verify as the service's user or root; an I/O error means a failing SD card"))
            }
            if findings.count < photoFindingLimit { findings.append(finding) } else { more[finding.kind, default: 0] += 1 }
        }
        for kind in [Finding.Kind.photoMissing, .photoChanged, .photoUnreadable] {
            guard let count = more[kind] else { continue }
            let detail = switch kind {
            case .photoMissing: Words("and \(count) more release photo(s) missing")
            case .photoChanged: Words("and \(count) more release photo(s) changed")
            default: Words("and \(count) more release photo(s) that cannot be read")
            }
            findings.append(Finding(kind: kind, file: nil, detail: detail))
        }
        return findings
    }

    /// Release photo problems listed one by one, at most.
    public static let photoFindingLimit = 50

    /// Files of another station: after a `station_id` change they would be uploaded, but nothing checks them.
    public static func checkOtherStations(names: [String], stationID: String) -> [Finding] {
        var others: [String: [String]] = [:]
        for name in names.sorted() where OutboxDirectory.isCountFileName(name) {
            guard let underscore = name.lastIndex(of: "_") else { continue }
            let id = String(name[..<underscore])
            if id != stationID { others[id, default: []].append(name) }
        }
        return others.keys.sorted().map { id in
            let list = others[id]!
            return Finding(
                kind: .otherStation, file: list[0],
                detail: Words("\(list.count) count file(s) of station '\(id)', not this station '\(stationID)': they cannot be checked here; if station_id was changed, move them out of the outbox (and their lines out of SHA256SUMS)"))
        }
    }

    /// Every count file recomputed and compared, ignoring `generated_at`:
    /// - days that are closed (ended, grace included) must be final and identical to a recomputation;
    /// - open days (today, yesterday within the grace) are refreshed by the running agent. A file that is simply
    ///   older than the journal (its `journal.last_seq` is below the day's last event: events came since the last
    ///   refresh) is a note; a file that says it is as new as the journal must match it exactly;
    /// - a count file for a day that has not begun is a problem.
    public static func checkFiles(settings: CountSettings, reader: JournalReader, nowNanos: Int64) -> Verification {
        var result = Verification()
        let outbox = settings.outbox
        let files = outbox.countFiles(stationID: settings.stationID)
        let today = settings.zone.businessDay(utcNanos: nowNanos)
        for date in files.keys.sorted() {
            if date > today {
                result.problems.append(
                    Finding(
                        kind: .notBegun, file: outbox.paths(stationID: settings.stationID, date: date).json.split(separator: "/").last.map(String.init),
                        detail: Words("a count file for \(date), a day that has not begun (today is \(today)): it cannot hold real counts; remove it")))
                continue
            }
            let closed = settings.isClosed(date, nowNanos: nowNanos)
            let expected: CountDocument
            do {
                expected = try settings.document(for: date, reader: reader, nowNanos: nowNanos)
            } catch {
                result.problems.append(Finding(kind: .journal, file: nil, detail: Words("\(date): \(error)")))
                continue
            }
            let paths = outbox.paths(stationID: settings.stationID, date: date)
            // An open day's files are rewritten by the running agent every count_refresh_seconds, so they may be older
            // than the journal: the JSON's journal.last_seq is below the day's last event. Such files are compared
            // with the day as it was at that seq (events after it left out, undos after it not yet applied), the
            // stock taken from the file (the stock of that moment cannot be recomputed); a day whose events were
            // clock-corrected since cannot be put back that way, and its older files are only noted. The CSV is
            // written with its JSON and compared the same way.
            var reference = expected
            var asOfSeq: Int64?
            var unchecked: Words?
            if !closed, let expectedLast = expected.counts.lastSeq, files[date]!.json, let bytes = AtomicFile.read(paths.json) {
                let text = String(decoding: bytes, as: UTF8.self)
                // A file written before the day's first event says `"last_seq": null`: as of no event of the day.
                let fileLast = CountDocument.lastSeq(inJSON: text) ?? 0
                if fileLast < expectedLast {
                    if expected.counts.correctedEvents > 0 {
                        unchecked = Words("the day holds clock-corrected events, so it cannot be recomputed as of seq \(fileLast)")
                    } else if let stock = CountDocument.stock(inJSON: text) {
                        do {
                            reference = try settings.document(
                                for: date, throughSeq: fileLast, stock: stock, reader: reader, nowNanos: nowNanos)
                            asOfSeq = fileLast
                        } catch {
                            result.problems.append(Finding(kind: .journal, file: nil, detail: Words("\(date): \(error)")))
                            continue
                        }
                    }
                }
            }
            for (path, isJSON) in [(paths.json, true), (paths.csv, false)] {
                let name = isJSON ? expected.jsonFileName : expected.csvFileName
                guard isJSON ? files[date]!.json : files[date]!.csv else { continue }
                guard let bytes = AtomicFile.read(path) else {
                    result.problems.append(Finding(kind: .unreadable, file: name, detail: Words("cannot read \(path)")))
                    continue
                }
                result.filesChecked += 1
                let text = String(decoding: bytes, as: UTF8.self)
                var wanted = reference
                if isJSON {
                    // `generated_at` is not compared; `final` is checked on its own below.
                    wanted.header.generatedAt = CountDocument.generatedAt(inJSON: text) ?? wanted.header.generatedAt
                    let flag = CountDocument.finalFlag(inJSON: text)
                    wanted.header.isFinal = flag ?? closed
                    if closed && flag == false {
                        result.problems.append(
                            Finding(kind: .notFinal, file: name, detail: Words("the day is over but the file says \"final\": false")))
                    }
                }
                let expectedText = isJSON ? wanted.json : wanted.csv
                if text != expectedText {
                    let detail = firstDifference(found: text, expected: expectedText)
                    if let unchecked {
                        result.notes.append(
                            Finding(
                                kind: .olderThanJournal, file: name,
                                detail: Words("events came after this file was written and \(unchecked); the running agent rewrites it within count_refresh_seconds (\(detail))")))
                    } else {
                        result.problems.append(
                            Finding(kind: .differs, file: name, detail: asOfSeq.map { Words("as of seq \($0), the event it counted to: \(detail)") } ?? detail))
                    }
                } else if let asOfSeq {
                    result.notes.append(
                        Finding(
                            kind: .olderThanJournal, file: name,
                            detail: Words("written before the newest events: it matches the journal as of seq \(asOfSeq) (its stock numbers as written); the running agent rewrites it within count_refresh_seconds")))
                }
            }
        }
        return result
    }

    /// Days with events must have their files (a note while the day is open).
    public static func checkMissingDays(settings: CountSettings, reader: JournalReader, nowNanos: Int64) -> Verification {
        var result = Verification()
        let files = settings.outbox.countFiles(stationID: settings.stationID)
        do {
            for date in try reader.eventDays(in: settings.zone) {
                let entry = files[date] ?? (false, false)
                let paths = settings.outbox.paths(stationID: settings.stationID, date: date)
                for (has, path) in [(entry.json, paths.json), (entry.csv, paths.csv)] where !has {
                    let name = String(path.split(separator: "/").last ?? "")
                    let finding = Finding(kind: .missing, file: name, detail: Words("\(date) has events but no \(name)"))
                    if settings.isClosed(date, nowNanos: nowNanos) { result.problems.append(finding) } else { result.notes.append(finding) }
                }
            }
        } catch {
            result.problems.append(Finding(kind: .journal, file: nil, detail: Words("\(error)")))
        }
        return result
    }

    /// `SHA256SUMS` must list every count file with its current digest, and nothing that is missing.
    public static func checkChecksums(_ outbox: OutboxDirectory, names: [String], stationID: String) -> [Finding] {
        var problems: [Finding] = []
        let countFileNames = names.filter { OutboxDirectory.parseCountFileName($0, stationID: stationID) != nil }
        guard Set(names).contains(OutboxDirectory.checksumFileName) else {
            if !countFileNames.isEmpty {
                problems.append(
                    Finding(kind: .checksumFileMissing, file: OutboxDirectory.checksumFileName, detail: Words("no SHA256SUMS in \(outbox.path)")))
            }
            return problems
        }
        let sums = outbox.readChecksums()
        for line in sums.malformedLines {
            problems.append(Finding(kind: .checksumMalformed, file: OutboxDirectory.checksumFileName, detail: Words("not a sha256sum line: \(line)")))
        }
        for name in sums.entries.keys.sorted() {
            guard let bytes = AtomicFile.read(outbox.path + "/" + name) else {
                problems.append(Finding(kind: .checksumMissingFile, file: name, detail: Words("listed in SHA256SUMS but not in the outbox")))
                continue
            }
            let digest = SHA256.hexDigest(bytes)
            if digest != sums.entries[name] {
                problems.append(
                    Finding(kind: .checksumMismatch, file: name, detail: Words("SHA256SUMS says \(sums.entries[name]!), the file's is \(digest)")))
            }
        }
        for name in countFileNames where sums.entries[name] == nil {
            problems.append(Finding(kind: .checksumUnlisted, file: name, detail: Words("not listed in SHA256SUMS")))
        }
        return problems
    }

    /// Temporary files an interrupted write left (a note: the next write replaces them).
    public static func checkLeftovers(names: [String]) -> [Finding] {
        names.filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }.map {
            Finding(kind: .leftoverTemporary, file: $0, detail: Words("a temporary file left by an interrupted write (replaced at the next write)"))
        }
    }

    static func firstDifference(found: String, expected: String) -> Words {
        let foundLines = found.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(foundLines.count, expectedLines.count) {
            let a = index < foundLines.count ? Words.verbatim(String(foundLines[index]).trimmingSpaces) : Words("<end of file>")
            let b = index < expectedLines.count ? Words.verbatim(String(expectedLines[index]).trimmingSpaces) : Words("<end of file>")
            if a != b {
                return Words("line \(index + 1): file has \(a), the journal gives \(b)")
            }
        }
        return Words("the files differ")
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }))
    }
}
