import HumanWords
import SystemSupport
import ArgumentParser
import FoundationEssentials
import Hashing
import ParcelRules
import ScanJournal
import StationConfig
import StationTime
import TextEscaping

/// `station-agent scans [--date D] [--code C] [--json | --csv]`: the scan events, oldest first, for disputes.
///
/// Days are business days in the station's zone, by effective time (corrected where the clock was fixed later).
/// With `--code` alone every day is searched, because a dispute about one parcel rarely starts with its date.
struct ScansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scans",
        abstract: "List the scan events, oldest first, for disputes.",
        discussion: "Without --date: today's events; with --code and no --date: that parcel's events of every day.")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The business day, YYYY-MM-DD.", valueName: "date"))
    var date: String?

    @Option(help: ArgumentHelp("Only this parcel code (normalised like a scan: case and AIM prefix do not matter).",
        valueName: "code"))
    var code: String?

    @Flag(help: "One JSON array on stdout.")
    var json = false

    @Flag(help: "CSV for Excel with a header row (UTF-8 with BOM, CRLF, safe to open in a spreadsheet).")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv exclude each other") }
        if let date { _ = try DateOption.parse(date, option: "--date") }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let zone = try Self.zone(configuration)
        let language = HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current)
        let normalizedCode = code.map { NormalizedScan(raw: $0).code }
        let events: [JournalEvent]
        do {
            let reader = try JournalReader(dataDirectory: configuration.dataDirectory)
            if let date, let day = LocalDate(date) {
                events = try reader.events(on: day, in: zone, code: normalizedCode)
            } else if let normalizedCode {
                events = try reader.events(code: normalizedCode)
            } else {
                events = try reader.events(on: zone.businessDay(utcNanos: SystemClock.wallNanos()), in: zone)
            }
        } catch .noJournal(let path) {
            writeStandardError("note: no journal at \(path) yet: nothing has been scanned\n")
            events = []
        } catch {
            throw CLIError.runtime("\(error)")
        }
        if json && events.isEmpty {
            print("[]")
        } else if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(events.map { ScanJSON(event: $0, zone: zone) })
            print(String(decoding: data, as: UTF8.self))
        } else if csv {
            print(Self.csv(events, zone: zone), terminator: "")
        } else if events.isEmpty {
            print(Phrase.noScans.text(language))
        } else {
            print(Self.table(events, zone: zone, language: language))
        }
    }

    /// The station's zone; with none configured and no usable system zone (none, or one that cannot be loaded),
    /// UTC with a warning (SPEC §3), as the running agent does: the commands and the agent cut days alike.
    /// The station's zone for a command: a configured zone that cannot be loaded is a usage error; UTC, with a
    /// warning on stderr, when neither the configuration nor the system names one.
    static func zone(_ configuration: StationConfiguration) throws -> StationTimeZone {
        do {
            let chosen = try configuration.stationZone()
            if let reason = chosen.fallbackReason { writeStandardError("warning: \(reason): days are cut in UTC\n") }
            return chosen.zone
        } catch {
            throw CLIError.usage("\(error)")
        }
    }

    static let columns = [
        "seq", "time", "code", "raw", "symbology", "direction", "outcome", "reason", "undone", "undoes", "carrier",
        "device", "source",
    ]

    /// One event's cells for the table and the CSV, every one escaped (SPEC §2): `raw` from the bytes as read, the
    /// others from their text, so a code or a device name with ESC or a newline cannot reach a terminal or split a row.
    static func cells(_ event: JournalEvent, zone: StationTimeZone) -> [String] {
        [
            String(event.seq), zone.rfc3339(utcNanos: event.effectiveNanos), Escaping.text(event.code), event.rawEscaped,
            Escaping.text(event.symbology ?? ""), event.direction?.rawValue ?? "", event.outcome.rawValue,
            event.reason?.rawValue ?? "", event.undone ? "true" : "false", event.undoOf.map(String.init) ?? "",
            Escaping.text(event.carrier?.rawValue ?? ""),
            Escaping.text(event.device), event.source.rawValue,
        ]
    }

    /// The table's headers, in the order of ``columns``.
    static let headers: [Phrase] = [
        .seq, .time, .code, .raw, .symbology, .direction, .outcome, .reason, .undone, .undoes, .carrier, .device, .source,
    ]

    static func table(_ events: [JournalEvent], zone: StationTimeZone, language: HumanLanguage = .en) -> String {
        var rows = [headers.map { $0.text(language) }]
        for event in events { rows.append(cells(event, zone: zone).map { $0.isEmpty ? "-" : $0 }) }
        return TextTable.render(rows, cellsAreEscaped: true)
    }

    /// For Excel (UTF-8 with BOM, CRLF; ``CSV/excelDocument(_:)``), every cell escaped and formula-safe.
    static func csv(_ events: [JournalEvent], zone: StationTimeZone) -> String {
        CSV.excelDocument([columns] + events.map { cells($0, zone: zone) })
    }
}

/// One element of `scans --json`: exactly SPEC §2's fields, null where unknown.
struct ScanJSON: Encodable {
    let event: JournalEvent
    let zone: StationTimeZone

    enum Key: String, CodingKey {
        case seq, time, code, raw, symbology, direction, outcome, reason, undone, undoes, carrier, device, source, hash, photo
    }

    /// `photo`: the release photo's path (relative to the data directory) and SHA-256.
    struct Photo: Encodable {
        let path: String
        let sha256: String
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(event.seq, forKey: .seq)
        try container.encode(zone.rfc3339(utcNanos: event.effectiveNanos), forKey: .time)
        try container.encode(event.code, forKey: .code)
        try container.encode(event.rawEscaped, forKey: .raw)
        // Optionals are encoded explicitly so unknown values appear as null, as SPEC §2 says.
        try container.encode(event.symbology, forKey: .symbology)
        try container.encode(event.direction?.rawValue, forKey: .direction)
        try container.encode(event.outcome.rawValue, forKey: .outcome)
        try container.encode(event.reason?.rawValue, forKey: .reason)
        try container.encode(event.undone, forKey: .undone)
        // For an undo event, the seq of the event it cancelled; null for every other event.
        try container.encode(event.undoOf, forKey: .undoes)
        try container.encode(event.carrier?.rawValue, forKey: .carrier)
        try container.encode(event.device, forKey: .device)
        try container.encode(event.source.rawValue, forKey: .source)
        try container.encode(event.hash.isEmpty ? nil : Hex.encode(event.hash), forKey: .hash)
        try container.encode(event.photo.map { Photo(path: $0.path, sha256: Hex.encode($0.sha256)) }, forKey: .photo)
    }
}
