import HumanWords
import SystemSupport
import ArgumentParser
import CountReports
import FoundationEssentials
import ParcelRules
import ScanJournal
import StationAgent
import StationConfig
import StationTime
import TextEscaping

/// `station-agent stock [--stale] [--json | --csv]` (SPEC §2): the parcels in stock now, oldest first, for the desk.
///
/// "Now" is today's business day in the station's zone, taken as the count files take it (``DayCounter/stock``): the
/// parcels `in_stock_end` of today's count file counts, marked stale as its `stale` counts them, so the list and the
/// file always agree. Days in stock are whole days up to the end of today, the measure `stale` uses.
struct StockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stock",
        abstract: "The parcels in stock now, oldest first: code, carrier, received at, device, days in stock.",
        discussion: """
            The numbers are today's in_stock_end and stale of the count file. Days are whole days in stock by the end \
            of today; a parcel is stale (滞留) when that is more than stale_after_days. --stale lists only those.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only the stale parcels (in stock longer than stale_after_days): the ones to call about.")
    var stale = false

    @Flag(help: "One JSON document on stdout.")
    var json = false

    @Flag(help: "CSV for Excel (UTF-8 with BOM, CRLF, safe to open in a spreadsheet).")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv exclude each other") }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let language = HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current)
        let settings = CountSettings(
            configuration: configuration, zone: try ScansCommand.zone(configuration), agentVersion: AgentVersion.current)
        let today = settings.zone.businessDay(utcNanos: SystemClock.wallNanos())
        let stock: DayStock
        do {
            let reader = try JournalReader(dataDirectory: configuration.dataDirectory)
            stock = try DayCounter.stock(today, in: settings.zone, staleAfterDays: settings.staleAfterDays, reader: reader)
        } catch .noJournal(let path) {
            writeStandardError("note: no journal at \(path) yet: nothing has been scanned\n")
            let instants = DayCounter.stockInstants(today, in: settings.zone, staleAfterDays: settings.staleAfterDays)
            stock = DayStock(date: today, endNanos: instants.end, staleAfterDays: settings.staleAfterDays, parcels: [])
        } catch {
            throw CLIError.runtime("\(error)")
        }
        let listed = stale ? stock.parcels.filter(\.isStale) : stock.parcels
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let document = StockJSON(stock: stock, zone: settings.zone, onlyStale: stale, listed: listed)
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        } else if csv {
            print(Self.csv(listed, stock: stock, zone: settings.zone), terminator: "")
        } else {
            print(Self.text(listed, stock: stock, onlyStale: stale, zone: settings.zone, language: language))
        }
    }

    static let columns = ["code", "carrier", "received_at", "device", "days", "stale"]

    /// One parcel's cells, escaped for people (a code or device name with ESC cannot reach a terminal or split a row).
    static func cells(_ parcel: StockParcel, stock: DayStock, zone: StationTimeZone) -> [String] {
        [
            Escaping.text(parcel.code), Escaping.text(parcel.carrier.rawValue), zone.rfc3339(utcNanos: parcel.receivedNanos),
            Escaping.text(parcel.device), String(stock.days(parcel)), parcel.isStale ? "true" : "false",
        ]
    }

    static func csv(_ listed: [StockParcel], stock: DayStock, zone: StationTimeZone) -> String {
        CSV.excelDocument([columns] + listed.map { cells($0, stock: stock, zone: zone) })
    }

    /// The count line, then the table (or, with nothing to list, a sentence saying so).
    static func text(
        _ listed: [StockParcel], stock: DayStock, onlyStale: Bool, zone: StationTimeZone, language: HumanLanguage
    ) -> String {
        let limit = String(stock.staleAfterDays)
        var text = Phrase.stockLine.text(language, [String(stock.inStock), String(stock.stale), limit, stock.date.description, zone.identifier])
        if listed.isEmpty {
            if onlyStale && stock.inStock > 0 {
                text += "\n" + Phrase.noStaleParcels.text(language, [limit])
            } else {
                text += "\n" + Phrase.noParcelsInStock.text(language)
            }
            return text
        }
        var rows = [[Phrase.code, .carrier, .receivedAt, .device, .days, .stale].map { $0.text(language) }]
        for parcel in listed {
            var row = Array(cells(parcel, stock: stock, zone: zone).prefix(5))
            row.append(parcel.isStale ? Phrase.staleMark.text(language) : "-")
            rows.append(row)
        }
        return text + "\n\n" + TextTable.render(rows, cellsAreEscaped: true)
    }
}

/// `stock --json`: today's numbers (always the count file's `in_stock_end` and `stale`, with or without `--stale`)
/// and the parcels listed.
struct StockJSON: Encodable {
    let stock: DayStock
    let zone: StationTimeZone
    let onlyStale: Bool
    let listed: [StockParcel]

    enum Key: String, CodingKey {
        case date, timezone, staleAfterDays = "stale_after_days", inStock = "in_stock", stale, onlyStale = "only_stale"
        case parcels
    }

    struct Parcel: Encodable {
        let seq: Int64
        let code: String
        let carrier: String
        let receivedAt: String
        let device: String
        let days: Int
        let stale: Bool

        enum CodingKeys: String, CodingKey {
            case seq, code, carrier, receivedAt = "received_at", device, days, stale
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(stock.date.description, forKey: .date)
        try container.encode(zone.identifier, forKey: .timezone)
        try container.encode(stock.staleAfterDays, forKey: .staleAfterDays)
        try container.encode(stock.inStock, forKey: .inStock)
        try container.encode(stock.stale, forKey: .stale)
        try container.encode(onlyStale, forKey: .onlyStale)
        try container.encode(
            listed.map {
                Parcel(
                    seq: $0.seq, code: $0.code, carrier: $0.carrier.rawValue,
                    receivedAt: zone.rfc3339(utcNanos: $0.receivedNanos), device: $0.device, days: stock.days($0),
                    stale: $0.isStale)
            }, forKey: .parcels)
    }
}
