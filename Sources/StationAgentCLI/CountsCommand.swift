import HumanWords
import SystemSupport
import ParcelRules
import ArgumentParser
import CountReports
import ScanJournal
import StationAgent
import StationConfig
import StationTime

/// `station-agent counts [--date D] [--json]`: a business day's numbers (SPEC §7), as the count files give them.
struct CountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counts",
        abstract: "The numbers of a business day (default today): totals, per carrier, per device, in stock and stale.",
        discussion: """
            The table starts with a glance line (today in 23 · out 7 · in stock 17 · stale 3; in Chinese with \
            language = "zh" or a zh locale). --json prints the same document as the day's count file.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The business day, YYYY-MM-DD.", valueName: "date"))
    var date: String?

    @Flag(help: "The count file's JSON document on stdout.")
    var json = false

    func validate() throws {
        if let date { _ = try DateOption.parse(date, option: "--date") }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let settings = CountSettings(
            configuration: configuration, zone: try ScansCommand.zone(configuration), agentVersion: AgentVersion.current)
        let now = SystemClock.wallNanos()
        let today = settings.zone.businessDay(utcNanos: now)
        let day = try date.map { try DateOption.parse($0, option: "--date") } ?? today
        try DateOption.requireBegun(day, option: "--date", today: today, zone: settings.zone)
        let document: CountDocument
        do {
            let reader = try JournalReader(dataDirectory: configuration.dataDirectory)
            document = try settings.document(for: day, reader: reader, nowNanos: now)
        } catch .noJournal(let path) {
            writeStandardError("note: no journal at \(path) yet: nothing has been scanned\n")
            document = CountDocument(
                header: CountFileHeader(
                    stationID: settings.stationID, stationName: settings.stationName,
                    isFinal: settings.isClosed(day, nowNanos: now), generatedAt: settings.zone.rfc3339(utcNanos: now),
                    agentVersion: settings.agentVersion),
                counts: DayCounts(date: day, timezone: settings.zone.identifier, range: settings.zone.dayRangeNanos(day)))
        } catch {
            throw CLIError.runtime("\(error)")
        }
        if json {
            print(document.json, terminator: "")
        } else {
            let language = HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current)
            print(Self.glance(document.counts, isToday: day == today, language: language))
            print(Self.table(document, language: language))
        }
    }

    /// The line an operator reads at a glance, before the table (human output only): `today in 23 · out 7 ·
    /// in stock 17 · stale 3`, `今天 入库 23 · 出库 7 · 在库 17 · 滞留 3`; another day is named by its date.
    static func glance(_ counts: DayCounts, isToday: Bool, language: HumanLanguage) -> String {
        let totals = counts.totals
        return Phrase.glance.text(language, [
            isToday ? Phrase.today.text(language) : counts.date.description, String(totals.inbound), String(totals.outbound),
            String(totals.inStockEnd), String(totals.stale),
        ])
    }

    static func table(_ document: CountDocument, language: HumanLanguage = .en) -> String {
        let counts = document.counts
        let header = document.header
        func say(_ phrase: Phrase, _ values: String...) -> String { phrase.text(language, values) }
        var text = (header.stationName.isEmpty ? header.stationID : "\(header.stationName) (\(header.stationID))")
            + " · \(counts.date) (\(counts.timezone)) · " + (header.isFinal ? say(.final) : say(.dayOpen, header.generatedAt))
            + "\n\n"
        func numbers(_ row: CountRow, stock: Bool, rejected: Bool) -> [String] {
            [String(row.inbound), String(row.outbound)]
                + (stock ? [String(row.inStockEnd), String(row.stale)] : [])
                + [String(row.unmatchedOutbound), String(row.repeatOutbound), String(row.duplicatesSuppressed),
                    String(row.rescans), String(row.undone)]
                + [rejected ? String(row.rejected) : "-"]
        }
        let counters: [Phrase] = [.unmatchedOut, .repeatOut, .duplicates, .rescans, .undone, .rejected]
        var rows = [([.carrier, .inbound, .outbound, .inStock, .stale] + counters).map { say($0) }]
        for carrier in counts.carriers { rows.append([carrier] + numbers(counts.byCarrier[carrier]!, stock: true, rejected: false)) }
        rows.append([say(.total)] + numbers(counts.totals, stock: true, rejected: true))
        text += TextTable.render(rows) + "\n"
        if !counts.byDevice.isEmpty {
            var deviceRows = [([.device, .inbound, .outbound] + counters).map { say($0) }]
            for device in counts.devices { deviceRows.append([device] + numbers(counts.byDevice[device]!, stock: false, rejected: true)) }
            text += "\n" + TextTable.render(deviceRows) + "\n"
        }
        text += "\n" + say(.stockAtEnd, String(counts.totals.inStockEnd), String(counts.totals.stale))
        if counts.unsyncedEvents > 0 {
            text += "\n" + say(.unsynced, String(counts.unsyncedEvents), String(counts.correctedEvents))
        }
        if let first = counts.firstSeq, let last = counts.lastSeq {
            text += "\n" + say(.journalRange, String(first), String(last))
        } else {
            text += "\n" + say(.noScansOnDay)
        }
        return text
    }
}
