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
                result.notes.append(Verification.Finding(kind: .journal, file: nil, detail: "no journal at \(path) yet: nothing scanned, nothing to check"))
            } else {
                result.problems.append(Verification.Finding(kind: .journal, file: nil, detail: "no journal at \(path), but the outbox has count files"))
            }
        } catch {
            result.problems.append(Verification.Finding(kind: .journal, file: nil, detail: error.description))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(VerifyJSON(result, outbox: settings.outboxDirectory)), as: UTF8.self))
        } else {
            print(Self.text(result, outbox: settings.outboxDirectory))
        }
        if !result.isOK {
            throw CLIError.problemFound(Words("verify found \(result.problems.count) problem(s)"))
        }
    }

    static func text(_ result: Verification, outbox: String) -> String {
        var lines: [String] = []
        if let journal = result.journal {
            lines.append("journal   \(journal.isOK ? "ok" : "DAMAGED")  \(journal.path): schema \(journal.schemaVersion), \(journal.eventCount) events")
        }
        lines.append("outbox    \(outbox): \(result.filesChecked) count file(s) recomputed and compared")
        if !result.problems.isEmpty {
            lines.append("")
            lines.append("PROBLEMS")
            lines.append(TextTable.render(result.problems.map { [$0.kind.rawValue, $0.file ?? "-", $0.detail] }))
        }
        if !result.notes.isEmpty {
            lines.append("")
            lines.append("notes")
            lines.append(TextTable.render(result.notes.map { [$0.kind.rawValue, $0.file ?? "-", $0.detail] }))
        }
        lines.append("")
        let unchecked = result.notes.filter { $0.kind == .olderThanJournal && !$0.detail.contains("it matches the journal as of seq") }.count
        if !result.isOK {
            lines.append("FAILED: \(result.problems.count) problem(s).")
        } else if unchecked > 0 {
            lines.append("OK, with \(unchecked) file(s) of an open day not compared (see the notes): every other count file matches the journal.")
        } else {
            lines.append("OK: every count file matches the journal.")
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
        problems = result.problems.map { Finding(kind: $0.kind.rawValue, file: $0.file, detail: $0.detail) }
        notes = result.notes.map { Finding(kind: $0.kind.rawValue, file: $0.file, detail: $0.detail) }
    }
}
