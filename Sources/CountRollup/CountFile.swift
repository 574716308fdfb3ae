import Foundation
import Hashing
public import StationTime

/// The counters of one count file's `totals` (or one `by_carrier` entry): SPEC §7's numbers, in the file's order.
public struct RollupCounters: Sendable, Hashable, Codable {
    public var inbound = 0
    public var outbound = 0
    public var inStockEnd = 0
    public var stale = 0
    public var unmatchedOutbound = 0
    public var repeatOutbound = 0
    public var duplicatesSuppressed = 0
    public var rescans = 0
    public var undone = 0
    /// `totals` only; a carrier's entry has none (rejects have no carrier) and reads 0.
    public var rejected = 0

    public init() {}

    /// The JSON keys, in SPEC §7's order; also the CSV's column names.
    public static let keys = [
        "inbound", "outbound", "in_stock_end", "stale", "unmatched_outbound", "repeat_outbound",
        "duplicates_suppressed", "rescans", "undone", "rejected",
    ]

    /// The values in the order of ``keys``.
    public var values: [Int] {
        [inbound, outbound, inStockEnd, stale, unmatchedOutbound, repeatOutbound, duplicatesSuppressed, rescans,
            undone, rejected]
    }

    public init?(values: [Int]) {
        guard values.count == Self.keys.count else { return nil }
        (inbound, outbound, inStockEnd, stale, unmatchedOutbound) = (values[0], values[1], values[2], values[3], values[4])
        (repeatOutbound, duplicatesSuppressed, rescans, undone, rejected) = (values[5], values[6], values[7], values[8], values[9])
    }

    /// Sums, field by field (a county's or a day's totals).
    public static func += (lhs: inout RollupCounters, rhs: RollupCounters) {
        lhs = RollupCounters(values: zip(lhs.values, rhs.values).map { $0.0 &+ $0.1 })!
    }

    enum CodingKeys: String, CodingKey {
        case inbound, outbound, stale, rescans, undone, rejected
        case inStockEnd = "in_stock_end"
        case unmatchedOutbound = "unmatched_outbound"
        case repeatOutbound = "repeat_outbound"
        case duplicatesSuppressed = "duplicates_suppressed"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys, required: Bool = true) throws -> Int {
            guard required || container.contains(key) else { return 0 }
            let value = try container.decode(Int.self, forKey: key)
            guard value >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "a negative count")
            }
            return value
        }
        inbound = try count(.inbound)
        outbound = try count(.outbound)
        inStockEnd = try count(.inStockEnd, required: false)
        stale = try count(.stale, required: false)
        unmatchedOutbound = try count(.unmatchedOutbound)
        repeatOutbound = try count(.repeatOutbound)
        duplicatesSuppressed = try count(.duplicatesSuppressed)
        rescans = try count(.rescans)
        undone = try count(.undone)
        rejected = try count(.rejected, required: false)
    }
}

/// What the roll-up reads of one station's count file (SPEC §7, `station-counts/1`); the rest of the file
/// (`by_hour`, `by_device`, `clock`) is not needed for a county's table.
public struct CountFileSummary: Sendable, Hashable {
    public var stationID: String
    public var stationName: String
    public var date: LocalDate
    public var timezone: String
    public var isFinal: Bool
    public var generatedAt: String
    public var agentVersion: String
    public var totals: RollupCounters
    public var byCarrier: [String: RollupCounters]
    /// `journal.last_hash` (64 hex digits), nil for a day without events.
    public var lastHash: String?
    /// The SHA-256 of the file's bytes, hex.
    public var sha256: String
    /// Where it was read: a path under the folder, or the object's key.
    public var source: String
}

/// Why a file was not counted; the file is named, the roll-up goes on.
public struct FileProblem: Error, Sendable, Hashable {
    public var file: String
    /// A stable key for machines: `checksum`, `unreadable`, `not_json`, `schema`, `content`, `name`,
    /// `conflict`.
    public var kind: String
    /// What is wrong, in English (the HTML and the human summary translate the kind).
    public var detail: String

    public init(file: String, kind: String, detail: String) {
        self.file = file
        self.kind = kind
        self.detail = detail
    }
}

enum CountFileParser {
    static let schema = "station-counts/1"

    private struct Document: Decodable {
        var schema: String
        var station_id: String
        var station_name: String
        var date: String
        var timezone: String
        var final: Bool
        var generated_at: String
        var agent_version: String
        var totals: RollupCounters
        var by_carrier: [String: RollupCounters]
        var journal: Journal
        struct Journal: Decodable { var last_hash: String? }
    }

    private struct SchemaOnly: Decodable { var schema: String? }

    /// The summary of a count file's bytes, or the problem that keeps it out of the county's numbers.
    /// `expected` is the station and day its name or key says (nil when the name says nothing).
    static func parse(_ bytes: [UInt8], source: String, expected: (station: String, date: LocalDate)?)
        -> Result<CountFileSummary, FileProblem>
    {
        let data = Data(bytes)
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            // Tell "another schema" from "not a count file at all" (a torn copy, an HTML error page).
            if let other = try? JSONDecoder().decode(SchemaOnly.self, from: data), let schema = other.schema,
                schema != Self.schema
            {
                return .failure(FileProblem(file: source, kind: "schema", detail: "schema \"\(schema)\", not \"\(Self.schema)\""))
            }
            return .failure(FileProblem(file: source, kind: "not_json", detail: "not a whole count file (\(Self.reason(error, byteCount: bytes.count)))"))
        }
        guard document.schema == Self.schema else {
            return .failure(FileProblem(file: source, kind: "schema", detail: "schema \"\(document.schema)\", not \"\(Self.schema)\""))
        }
        guard let date = LocalDate(document.date), date.description == document.date else {
            return .failure(FileProblem(file: source, kind: "content", detail: "date \"\(document.date)\" is not YYYY-MM-DD"))
        }
        guard Self.isSafeStationID(document.station_id) else {
            return .failure(FileProblem(file: source, kind: "content", detail: "station_id \"\(document.station_id)\" is not a station id"))
        }
        if let expected, expected.station != document.station_id || expected.date != date {
            return .failure(FileProblem(
                file: source, kind: "name",
                detail: "the file says station \(document.station_id) day \(date), its name says \(expected.station) day \(expected.date)"))
        }
        if let hash = document.journal.last_hash, hash.utf8.count != 64 || !hash.utf8.allSatisfy(Self.isHexDigit) {
            return .failure(FileProblem(file: source, kind: "content", detail: "journal.last_hash is not 64 hex digits"))
        }
        return .success(CountFileSummary(
            stationID: document.station_id, stationName: document.station_name, date: date,
            timezone: document.timezone, isFinal: document.final, generatedAt: document.generated_at,
            agentVersion: document.agent_version, totals: document.totals, byCarrier: document.by_carrier,
            lastHash: document.journal.last_hash, sha256: SHA256.hexDigest(bytes), source: source))
    }

    private static func reason(_ error: any Error, byteCount: Int) -> String {
        if byteCount == 0 { return "empty" }
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "\(byteCount) bytes that are not whole JSON (cut off?)"
                : "bad value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(byteCount) bytes that are not JSON"
        }
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    /// SPEC §3's station id: 1-64 of `[A-Za-z0-9._-]`, starting with a letter or digit.
    static func isSafeStationID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// `(station, date)` of `<station_id>_<YYYY-MM-DD>.json`, or nil for any other name.
    static func countFileName(_ name: String) -> (station: String, date: LocalDate)? {
        guard name.hasSuffix(".json"), name.utf8.count > 16 else { return nil }
        let stem = name.dropLast(5)
        let dateText = String(stem.suffix(10))
        let underscore = stem.dropLast(10)
        guard underscore.hasSuffix("_"), let date = LocalDate(dateText), date.description == dateText else { return nil }
        let station = String(underscore.dropLast())
        guard isSafeStationID(station) else { return nil }
        return (station, date)
    }
}
