import HumanWords
import ArgumentParser
import CountReports
import FoundationEssentials
import ScanJournal
import StationAgent
import StationConfig
import StationTime

/// `station-agent verify [--json]`: journal integrity, and every count file recomputed and compared (exit 3 on a
/// problem).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the journal's integrity and recompute every count file in the outbox (exit 3 on a problem).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "One JSON document on stdout.")
    var json = false

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let settings = CountSettings(
            configuration: configuration, zone: try ScansCommand.zone(configuration), agentVersion: AgentVersion.current)
        var result = Verification()
        do {
            let reader = try JournalReader(dataDirectory: configuration.dataDirectory)
            result = Verification.run(settings: settings, reader: reader, nowNanos: SystemClock.wallNanos())
        } catch .noJournal(let path) {
            let files = settings.outbox.countFiles(stationID: settings.stationID)
            if files.isEmpty {
                result.notes.append(Verification.Finding(kind: .journal, file: nil, detail: Words("no journal at \(path) yet: nothing scanned, nothing to check")))
            } else {
                result.problems.append(Verification.Finding(kind: .journal, file: nil, detail: Words("no journal at \(path), but the outbox has count files")))
            }
        } catch {
            result.problems.append(Verification.Finding(kind: .journal, file: nil, detail: "\(error)"))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(VerifyJSON(result, outbox: settings.outboxDirectory)), as: UTF8.self))
        } else {
            print(Self.text(result, outbox: settings.outboxDirectory, language: RunLanguage.current))
        }
        if !result.isOK {
            throw CLIError.problemFound(Words("verify found \(result.problems.count) problem(s)"))
        }
    }

    /// What each kind of finding is called in a table (in English its code, as `--json` carries it).
    static let kindNames: [Verification.Finding.Kind: Words] = [
        .journal: Words("journal"), .chainMissing: Words("events deleted"), .chainChanged: Words("event changed"),
        .chainInserted: Words("event inserted"), .chainReordered: Words("events reordered"), .chainTailCut: Words("events cut off"),
        .chainAnchorMismatch: Words("journal rewritten"), .differs: Words("differs"), .notFinal: Words("not final"),
        .missing: Words("file missing"), .checksumMismatch: Words("checksum differs"), .checksumMissingFile: Words("listed, no file"),
        .checksumUnlisted: Words("not in SHA256SUMS"), .checksumMalformed: Words("bad SHA256SUMS line"),
        .checksumFileMissing: Words("no SHA256SUMS"), .unreadable: Words("unreadable"), .leftoverTemporary: Words("temporary file"),
        .otherStation: Words("other station"), .notBegun: Words("day not begun"), .olderThanJournal: Words("older than journal"),
        .photoMissing: Words("photo missing"), .photoChanged: Words("photo changed"),
        .photoUnreadable: Words("photo unreadable"),
    ]

    static func text(_ result: Verification, outbox: String, language: HumanLanguage = .en) -> String {
        func kind(_ finding: Verification.Finding) -> String {
            language.show(code: finding.kind.rawValue, named: kindNames[finding.kind])
        }
        var lines: [String] = []
        if let journal = result.journal {
            let state = journal.isOK ? Words("ok") : Words("DAMAGED")
            lines.append(Words("journal   \(state)  \(journal.path): schema \(journal.schemaVersion), \(journal.eventCount) events").text(language))
        }
        lines.append(Words("outbox    \(outbox): \(result.filesChecked) count file(s) recomputed and compared").text(language))
        if !result.problems.isEmpty {
            lines.append("")
            lines.append(Words("PROBLEMS").text(language))
            lines.append(TextTable.render(result.problems.map { [kind($0), $0.file ?? "-", $0.detail.text(language)] }))
        }
        if !result.notes.isEmpty {
            lines.append("")
            lines.append(Words("notes").text(language))
            lines.append(TextTable.render(result.notes.map { [kind($0), $0.file ?? "-", $0.detail.text(language)] }))
        }
        lines.append("")
        let unchecked = result.notes.filter { $0.kind == .olderThanJournal && !$0.detail.description.contains("it matches the journal as of seq") }.count
        if !result.isOK {
            lines.append(Words("FAILED: \(result.problems.count) problem(s).").text(language))
        } else if unchecked > 0 {
            lines.append(Words("OK, with \(unchecked) file(s) of an open day not compared (see the notes): every other count file matches the journal.").text(language))
        } else {
            lines.append(Words("OK: every count file matches the journal.").text(language))
        }
        return lines.joined(separator: "\n")
    }
}

struct VerifyJSON: Encodable {
    struct Finding: Encodable {
        let kind: String
        let file: String?
        let detail: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(file, forKey: .file)
            try container.encode(detail, forKey: .detail)
        }
        enum CodingKeys: String, CodingKey { case kind, file, detail }
    }
    struct Journal: Encodable {
        let path: String
        let ok: Bool
        let schema_version: Int
        let event_count: Int64
    }
    let ok: Bool
    let outbox: String
    let journal: Journal?
    let files_checked: Int
    let problems: [Finding]
    let notes: [Finding]

    init(_ result: Verification, outbox: String) {
        ok = result.isOK
        self.outbox = outbox
        journal = result.journal.map {
            Journal(path: $0.path, ok: $0.isOK, schema_version: $0.schemaVersion, event_count: $0.eventCount)
        }
        files_checked = result.filesChecked
        problems = result.problems.map { Finding(kind: $0.kind.rawValue, file: $0.file, detail: $0.detail.description) }
        notes = result.notes.map { Finding(kind: $0.kind.rawValue, file: $0.file, detail: $0.detail.description) }
    }
}
