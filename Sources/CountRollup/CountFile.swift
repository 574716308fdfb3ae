import CountReports
import FoundationEssentials
public import ParcelRules
import Hashing
public import StationTime

/// The counters of one count file's `totals` (or one `by_carrier` entry): SPEC §7's numbers, the same type the
/// agent counts with and writes the files from.
public typealias RollupCounters = ParcelCounts

/// One counters object of a count file, read back: every key the agent writes must be there (a carrier's entry
/// has no `rejected`, and the stock keys are absent where the agent leaves them out), none negative.
struct FileCounters: Decodable {
    var counts: ParcelCounts

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let optionalKeys: Set<String> = ["in_stock_end", "stale", "rejected"]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [Int] = []
        values.reserveCapacity(ParcelCounts.fileKeys.count)
        for name in ParcelCounts.fileKeys {
            let key = Key(stringValue: name)
            guard let value = try container.decodeIfPresent(Int.self, forKey: key) else {
                guard Self.optionalKeys.contains(name) else {
                    throw DecodingError.keyNotFound(key, .init(codingPath: container.codingPath, debugDescription: "no \(name)"))
                }
                values.append(0)
                continue
            }
            guard value >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "a negative count")
            }
            values.append(value)
        }
        counts = ParcelCounts(fileValues: values)!
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
        var totals: FileCounters
        var by_carrier: [String: FileCounters]
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
            agentVersion: document.agent_version, totals: document.totals.counts, byCarrier: document.by_carrier.mapValues(\.counts),
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
