import HumanWords
import ArgumentParser
import CountReports
import CountUpload
import FoundationEssentials
import Logging
import ScanJournal
import StationAgent
import StationConfig
import StationTime
import StoreClient
import SystemSupport

/// `station-agent upload [--status] [--json]` (SPEC §2, §8): send every count file the county store has not
/// acknowledged, then print each file's state; `--status` only prints. The running agent uploads by itself: this is
/// for a technician who wants it now, or wants to see what waits.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Send the count files the county store has not acknowledged, and print each file's state.",
        discussion: """
            States: acknowledged (the store confirmed exactly these bytes), waiting (never confirmed), changed \
            (rewritten since the store confirmed an older version). Exit 1 when files still wait after trying.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only print the states; send nothing.")
    var status = false

    @Flag(help: "One JSON document on stdout.")
    var json = false

    func run() async throws {
        let configuration = try global.loadConfiguration()
        guard let upload = configuration.upload else {
            throw CLIError.usage(Words("nothing to upload to: the configuration (\(configuration.source ?? "built-in defaults")) has no [upload] section (SPEC §8: url, secret_file, ...)"))
        }
        let zone = try ScansCommand.zone(configuration)
        let outbox = OutboxDirectory(path: configuration.outboxDirectory)
        var pass: UploadPass?
        var states: [UploadFileState] = []
        var problem: UploadProblem?
        if status {
            do {
                let ledger = try UploadLedger(readingDataDirectory: configuration.dataDirectory)
                defer { ledger.close() }
                states = Uploader.states(outbox: outbox, stationID: configuration.stationID, records: try ledger.records(target: upload.url))
                problem = try ledger.problem(target: upload.url)
            } catch .noJournal {
                states = Uploader.states(outbox: outbox, stationID: configuration.stationID, records: [:])
            } catch {
                throw CLIError.runtime("\(error)")
            }
        } else {
            // Root (a technician with sudo) works as the data directory's owner, as `scan` does: the ledger's
            // files stay the service's, and the secret file is judged as the service would judge it.
            do {
                _ = try DataDirectoryOwner.actAsOwner(of: configuration.dataDirectory)
            } catch {
                throw CLIError.runtime("\(error)")
            }
            let client: StoreClient
            do {
                client = try UploadSetup.client(upload)
            } catch {
                throw CLIError.usage(Words("configuration error: \(error)"))
            }
            do {
                let ledger = try UploadLedger(dataDirectory: configuration.dataDirectory)
                defer { ledger.close() }
                let uploader = Uploader(
                    client: client, ledger: ledger, target: upload.url, outbox: outbox, stationID: configuration.stationID,
                    logger: Logger(label: "station-agent"))
                let done = uploader.pass()
                if let failure = done.failure {
                    _ = try? ledger.recordProblem(target: upload.url, kind: failure.kindKey, message: "\(failure)", atNanos: SystemClock.wallNanos())
                }
                pass = done
                if let offset = client.clockOffsetSeconds, abs(offset) >= 60 {
                    let age = UploadStatus.age(abs(offset) * 1_000_000_000)
                    let note = offset > 0
                        ? Words("note: this box's clock is \(age) behind the county store's: the upload was signed with the store's time; set the clock (timedatectl, or network time)")
                        : Words("note: this box's clock is \(age) ahead of the county store's: the upload was signed with the store's time; set the clock (timedatectl, or network time)")
                    writeStandardError(note.text(RunLanguage.current) + "\n")
                }
                states = try uploader.states()
                problem = try ledger.problem(target: upload.url)
            } catch {
                throw CLIError.runtime("\(error)")
            }
        }
        if json {
            print(Self.json(states, problem: problem, target: upload.url, zone: zone))
        } else {
            let language = RunLanguage.current
            print(Self.table(states, zone: zone, language: language))
            if let pass {
                print(Words("\(pass.sent.count) file(s) sent now; \(pass.waiting.count) waiting.").text(language))
                if let failure = pass.failure { print(Words("Not sent: \(failure)").text(language)) }
                for (name, error) in pass.skipped.sorted(by: { $0.key < $1.key }) { print(Words("\(name) not sent: \(error)").text(language)) }
                if let ledgerFailure = pass.ledgerFailure { print(Words("Stopped: \(ledgerFailure)").text(language)) }
            } else if let problem {
                print(Words("Waiting since \(zone.rfc3339(utcNanos: problem.sinceNanos)) (\(problem.attempts) attempt(s)): \(problem.message)").text(language))
            }
        }
        if let pass, !pass.waiting.isEmpty || pass.ledgerFailure != nil {
            throw CLIError(message: Words("\(pass.waiting.count) count file(s) still wait for the county store"), status: 1)
        }
    }

    static func table(_ states: [UploadFileState], zone: StationTimeZone, language: HumanLanguage = .en) -> String {
        guard !states.isEmpty else { return Words("No count files in the outbox yet.").text(language) }
        let headers = [Words("file"), Words("final"), Words("state"), Words("acknowledged at"), Words("store's answer")]
        let names: [String: Words] = ["acknowledged": Words("acknowledged"), "waiting": Words("waiting"), "changed": Words("changed")]
        var rows = [headers.map { $0.text(language) }]
        for state in states {
            let said = language.show(code: state.state.rawValue, named: names[state.state.rawValue])
            rows.append([
                state.file.name, (state.file.isFinal ? Words("yes") : Words("no")).text(language), said,
                state.record.map { zone.rfc3339(utcNanos: $0.ackedAtNanos) } ?? "-",
                state.record?.answer ?? "-",
            ])
        }
        return TextTable.render(rows)
    }

    struct FileJSON: Encodable {
        let file: String
        let date: String
        let final: Bool
        let state: String
        let sha256: String
        let size: Int
        let key: String?
        let acknowledged_at: String?
        let acknowledged_sha256: String?
        let answer: String?
    }

    struct ProblemJSON: Encodable {
        let kind: String
        let message: String
        let since: String
        let last: String
        let attempts: Int
    }

    struct DocumentJSON: Encodable {
        let target: String
        let waiting: Int
        let problem: ProblemJSON?
        let files: [FileJSON]

        enum CodingKeys: String, CodingKey { case target, waiting, problem, files }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(target, forKey: .target)
            try container.encode(waiting, forKey: .waiting)
            try container.encode(problem, forKey: .problem)
            try container.encode(files, forKey: .files)
        }
    }

    static func json(_ states: [UploadFileState], problem: UploadProblem?, target: String, zone: StationTimeZone) -> String {
        let files = states.map { state in
            FileJSON(
                file: state.file.name, date: "\(state.file.date)", final: state.file.isFinal, state: state.state.rawValue,
                sha256: state.file.sha256, size: state.file.bytes.count, key: state.record?.key,
                acknowledged_at: state.record.map { zone.rfc3339(utcNanos: $0.ackedAtNanos) },
                acknowledged_sha256: state.record?.sha256, answer: state.record?.answer)
        }
        let document = DocumentJSON(
            target: target, waiting: states.filter { $0.state != .acknowledged }.count,
            problem: problem.map {
                ProblemJSON(kind: $0.kind, message: $0.message, since: zone.rfc3339(utcNanos: $0.sinceNanos),
                            last: zone.rfc3339(utcNanos: $0.lastNanos), attempts: $0.attempts)
            },
            files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(document)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
