import Hashing
import ParcelRules
public import ScanJournal
import StationTime
import TextEscaping

/// What a count file says about itself besides the numbers.
public struct CountFileHeader: Sendable, Hashable {
    public var stationID: String
    public var stationName: String
    /// `true` once the day has ended (plus the grace for late commits); never rewritten afterwards by the agent.
    public var isFinal: Bool
    /// RFC 3339 with the station's offset.
    public var generatedAt: String
    public var agentVersion: String

    public init(stationID: String, stationName: String, isFinal: Bool, generatedAt: String, agentVersion: String) {
        self.stationID = stationID
        self.stationName = stationName
        self.isFinal = isFinal
        self.generatedAt = generatedAt
        self.agentVersion = agentVersion
    }
}

/// One business day's count files (SPEC §7): the JSON document and the CSV, rendered byte for byte.
public struct CountDocument: Sendable, Hashable {
    public static let schema = "station-counts/1"
    public static let csvHeader =
        "station_id,date,carrier,inbound,outbound,in_stock_end,stale,unmatched_outbound,repeat_outbound,duplicates_suppressed,rescans,undone,rejected"

    public var header: CountFileHeader
    public var counts: DayCounts

    public init(header: CountFileHeader, counts: DayCounts) {
        self.header = header
        self.counts = counts
    }

    /// `<station_id>_<YYYY-MM-DD>` (without extension).
    public var baseName: String { header.stationID + "_" + counts.date.description }
    public var jsonFileName: String { baseName + ".json" }
    public var csvFileName: String { baseName + ".csv" }

    // MARK: JSON

    /// The JSON document: keys in SPEC §7's order, carriers and devices sorted, two-space indentation, one `by_hour`
    /// entry per line, a final newline. UTF-8, non-ASCII text as is.
    public var json: String {
        var out = "{\n"
        func field(_ key: String, _ value: String, last: Bool = false) {
            out += "  " + Self.quoted(key) + ": " + value + (last ? "\n" : ",\n")
        }
        field("schema", Self.quoted(Self.schema))
        field("station_id", Self.quoted(header.stationID))
        field("station_name", Self.quoted(header.stationName))
        field("date", Self.quoted(counts.date.description))
        field("timezone", Self.quoted(counts.timezone))
        field("final", header.isFinal ? "true" : "false")
        field("generated_at", Self.quoted(header.generatedAt))
        field("agent_version", Self.quoted(header.agentVersion))
        field("totals", Self.object(Self.counterFields(counts.totals, stock: true, rejected: true), indent: 2))
        field("by_carrier", Self.keyed(counts.carriers.map { ($0, Self.counterFields(counts.byCarrier[$0]!, stock: true, rejected: false)) }))
        let hours = counts.byHour.map { "    {\"hour\": \($0.hour), \"inbound\": \($0.inbound), \"outbound\": \($0.outbound)}" }
        field("by_hour", "[\n" + hours.joined(separator: ",\n") + "\n  ]")
        field("by_device", Self.keyed(counts.devices.map { ($0, Self.counterFields(counts.byDevice[$0]!, stock: false, rejected: true)) }))
        field("clock", Self.object([("unsynced_events", String(counts.unsyncedEvents)), ("corrected_events", String(counts.correctedEvents))], indent: 2))
        field(
            "journal",
            Self.object(
                [
                    ("first_seq", counts.firstSeq.map(String.init) ?? "null"),
                    ("last_seq", counts.lastSeq.map(String.init) ?? "null"),
                    ("last_hash", counts.lastHash.map { "\"" + Hex.encode($0) + "\"" } ?? "null"),
                ], indent: 2),
            last: true)
        return out + "}\n"
    }

    static func counterFields(_ row: CountRow, stock: Bool, rejected: Bool) -> [(String, String)] {
        zip(CountRow.fileKeys, row.fileValues).compactMap { key, value in
            if !stock && (key == "in_stock_end" || key == "stale") { return nil }
            if !rejected && key == "rejected" { return nil }
            return (key, String(value))
        }
    }

    static func object(_ fields: [(String, String)], indent: Int) -> String {
        let pad = String(repeating: " ", count: indent + 2)
        if fields.isEmpty { return "{}" }
        return "{\n" + fields.map { pad + quoted($0.0) + ": " + $0.1 }.joined(separator: ",\n") + "\n"
            + String(repeating: " ", count: indent) + "}"
    }

    static func keyed(_ entries: [(String, [(String, String)])]) -> String {
        if entries.isEmpty { return "{}" }
        return "{\n" + entries.map { "    " + quoted($0.0) + ": " + object($0.1, indent: 4) }.joined(separator: ",\n") + "\n  }"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; everything else as is.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: CSV

    /// The CSV: the header row, one row per carrier (sorted), then `TOTAL`. LF line ends, UTF-8 without BOM. A
    /// carrier row's `rejected` cell is empty (rejects have no carrier). Cells are made spreadsheet-safe.
    public var csv: String {
        var lines = [Self.csvHeader]
        func row(_ carrier: String, _ values: CountRow, rejected: String) -> String {
            ([header.stationID, counts.date.description, carrier]
                + [values.inbound, values.outbound, values.inStockEnd, values.stale, values.unmatchedOutbound,
                    values.repeatOutbound, values.duplicatesSuppressed, values.rescans, values.undone].map(String.init)
                + [rejected]).map(Self.csvCell).joined(separator: ",")
        }
        for carrier in counts.carriers { lines.append(row(carrier, counts.byCarrier[carrier]!, rejected: "")) }
        lines.append(row("TOTAL", counts.totals, rejected: String(counts.totals.rejected)))
        return lines.joined(separator: "\n") + "\n"
    }

    /// A cell no spreadsheet takes for a formula: the project's one CSV quoting, ``CSV/cell(_:)``, which `scans
    /// --csv` uses too. Ordinary count cells (ids, dates, carriers, numbers) come out unchanged.
    public static func csvCell(_ value: String) -> String { CSV.cell(value) }

    // MARK: Reading back

    /// The stock numbers (`in_stock_end`, `stale`) of `totals` and each `by_carrier` entry of a count file's JSON as
    /// written by ``json``; nil when a number is not where ``json`` puts it.
    public static func stock(inJSON text: String) -> StockSummary? {
        var stock = StockSummary()
        var carrier: Carrier?
        var inTotals = false, inCarriers = false
        for line in text.split(separator: "\n") {
            if line == "  \"totals\": {" { inTotals = true; inCarriers = false; continue }
            if line == "  \"by_carrier\": {" { inTotals = false; inCarriers = true; continue }
            if line.hasPrefix("  \"by_hour\"") { break }
            if inCarriers, line.hasPrefix("    \""), line.hasSuffix("\": {") {
                carrier = Carrier(rawValue: String(line.dropFirst(5).dropLast(4)))
                continue
            }
            let trimmed = line.drop { $0 == " " }
            for (key, isStale) in [("\"in_stock_end\": ", false), ("\"stale\": ", true)] where trimmed.hasPrefix(key) {
                guard let value = Int(trimmed.dropFirst(key.count).prefix { $0.isASCII && $0.isNumber }) else { return nil }
                if inTotals {
                    if isStale { stock.totals.stale = value } else { stock.totals.inStockEnd = value }
                } else if inCarriers, let carrier {
                    if isStale { stock.byCarrier[carrier, default: ParcelCounts()].stale = value }
                    else { stock.byCarrier[carrier, default: ParcelCounts()].inStockEnd = value }
                }
            }
        }
        return stock
    }

    /// The `final` flag of a count file's JSON as written by ``json``, or nil if absent.
    public static func finalFlag(inJSON text: String) -> Bool? {
        guard let value = rawValue(of: "final", inJSON: text) else { return nil }
        return value == "true" ? true : value == "false" ? false : nil
    }

    /// `journal.last_seq` of a count file's JSON text, nil when absent or null.
    public static func lastSeq(inJSON text: String) -> Int64? {
        guard let range = text.firstRange(of: "\"last_seq\": ") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int64(digits)
    }

    /// The `generated_at` string of a count file's JSON as written by ``json``, or nil if absent.
    public static func generatedAt(inJSON text: String) -> String? {
        guard let value = rawValue(of: "generated_at", inJSON: text), value.count >= 2, value.hasPrefix("\""),
            value.hasSuffix("\"")
        else { return nil }
        return String(value.dropFirst().dropLast())
    }

    /// The chain position a count file's JSON records (`journal.last_seq` and `journal.last_hash`), or nil when it
    /// records none (a day without events, or a file written before the hash chain).
    public static func chainAnchor(inJSON text: String) -> (seq: Int64, hash: [UInt8])? {
        guard let seq = rawValue(of: "last_seq", inJSON: text, depth: 2).flatMap({ Int64($0) }),
            let quoted = rawValue(of: "last_hash", inJSON: text, depth: 2), quoted.count == 66,
            let hash = Hex.decode(String(quoted.dropFirst().dropLast()))
        else { return nil }
        return (seq, hash)
    }

    /// The text after `"key": ` up to the end of its line (without a trailing comma), at the top level (depth 1)
    /// or inside a top-level object (depth 2).
    static func rawValue(of key: String, inJSON text: String, depth: Int = 1) -> String? {
        let marker = "\n" + String(repeating: "  ", count: depth) + quoted(key) + ": "
        guard let range = text.firstRange(of: marker) else { return nil }
        var value = text[range.upperBound...].prefix { $0 != "\n" }
        if value.hasSuffix(",") { value = value.dropLast() }
        return String(value)
    }
}

extension StationTimeZone {
    /// RFC 3339 with the zone's offset, whole seconds (`generated_at`).
    func timestamp(_ utcNanos: Int64) -> String { rfc3339(utcNanos: utcNanos) }
}
