public import CountReports
import Foundation
import Hashing
import ParcelRules
public import StationTime

/// A county's count files, written by the agent's own count-file code (`CountDocument`, the bytes `export` and the
/// refresher write) from numbers this fixture chose, and the numbers themselves for independent sums.
public struct CountyFixture: Sendable {
    public static let carriers = ["JD", "SF", "YTO", "ZTO"]
    public static let villages = ["小湖村", "东村", "石桥", "柳树湾", "新庄", "王家坝", "南岭", "大河口"]

    public struct Row: Sendable {
        public var station: String
        public var date: LocalDate
        public var document: CountDocument
        /// SPEC §7's ten totals, in order.
        public var totals: [Int] {
            let t = document.counts.totals
            return [t.inbound, t.outbound, t.inStockEnd, t.stale, t.unmatchedOutbound, t.repeatOutbound,
                    t.duplicatesSuppressed, t.rescans, t.undone, t.rejected]
        }
    }

    public let days: [LocalDate]
    public let stations: [String]
    /// station|date → row, for every station and day (also those the folder will not hold).
    public var rows: [String: Row] = [:]

    public static func station(_ index: Int) -> String { "st-" + String(format: "%04d", index) }
    public static func name(_ index: Int) -> String { villages[index % villages.count] + "\(index)号快递服务点" }

    public init(stationCount: Int, days: [LocalDate], seed: UInt64) {
        self.days = days
        self.stations = (0..<stationCount).map(Self.station)
        var random = SplitMix(seed: seed)
        for (index, station) in stations.enumerated() {
            for (dayIndex, date) in days.enumerated() {
                var counts = DayCounts(date: date, timezone: "Asia/Shanghai", range: 0..<1)
                for carrier in Self.carriers where random.next(4) != 0 {
                    var row = CountRow()
                    row.inbound = random.next(40)
                    row.outbound = random.next(row.inbound + 6)
                    row.inStockEnd = random.next(60)
                    row.stale = random.next(row.inStockEnd + 1)
                    row.unmatchedOutbound = random.next(3)
                    row.repeatOutbound = random.next(3)
                    row.duplicatesSuppressed = random.next(6)
                    row.rescans = random.next(4)
                    row.undone = random.next(3)
                    counts.byCarrier[carrier] = row
                    counts.totals.inbound += row.inbound
                    counts.totals.outbound += row.outbound
                    counts.totals.inStockEnd += row.inStockEnd
                    counts.totals.stale += row.stale
                    counts.totals.unmatchedOutbound += row.unmatchedOutbound
                    counts.totals.repeatOutbound += row.repeatOutbound
                    counts.totals.duplicatesSuppressed += row.duplicatesSuppressed
                    counts.totals.rescans += row.rescans
                    counts.totals.undone += row.undone
                }
                counts.totals.rejected = random.next(5)
                counts.firstSeq = Int64(dayIndex * 1000 + 1)
                counts.lastSeq = Int64(dayIndex * 1000 + 200)
                counts.lastHash = (0..<32).map { _ in UInt8(random.next(256)) }
                let final = dayIndex < days.count - 1
                let header = CountFileHeader(
                    stationID: station, stationName: Self.name(index), isFinal: final,
                    generatedAt: final ? "\(date.adding(days: 1))T00:05:00+08:00" : "\(date)T12:00:00+08:00",
                    agentVersion: "0.1.0")
                rows[station + "|" + date.description] = Row(station: station, date: date, document: CountDocument(header: header, counts: counts))
            }
        }
    }

    /// A station's day with other numbers (a rewritten closed day).
    public mutating func rewrite(_ station: String, _ date: LocalDate, extraInbound: Int) {
        var row = rows[station + "|" + date.description]!
        row.document.counts.totals.inbound += extraInbound
        let carrier = row.document.counts.carriers.first ?? "SF"
        row.document.counts.byCarrier[carrier, default: CountRow()].inbound += extraInbound
        row.document.header.generatedAt = "\(date.adding(days: 3))T09:00:00+08:00"
        rows[station + "|" + date.description] = row
    }

    /// The store's layout (SPEC §8) under `root`: `date=D/station=S/S_D.json` and `.csv`, and a SHA256SUMS per
    /// station folder listing both, except for what `skip` leaves out.
    public func write(to root: String, skip: (Row) -> Bool = { _ in false },
               sums: (Row, _ json: String, _ csv: String) -> String? = { _, _, _ in nil },
               transform: (Row, [UInt8]) -> [UInt8] = { $1 }) throws {
        for row in rows.values where !skip(row) {
            let folder = "\(root)/date=\(row.date)/station=\(row.station)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let json = Array(row.document.json.utf8)
            let csv = Array(row.document.csv.utf8)
            try Data(transform(row, json)).write(to: URL(fileURLWithPath: folder + "/" + row.document.jsonFileName))
            try Data(csv).write(to: URL(fileURLWithPath: folder + "/" + row.document.csvFileName))
            let jsonSum = SHA256.hexDigest(json), csvSum = SHA256.hexDigest(csv)
            let lines = sums(row, jsonSum, csvSum)
                ?? "\(jsonSum)  \(row.document.jsonFileName)\n\(csvSum)  \(row.document.csvFileName)\n"
            try Data(lines.utf8).write(to: URL(fileURLWithPath: folder + "/SHA256SUMS"))
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): the same numbers for the same seed on every run, so a failure repeats.
public struct SplitMix: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (0 for a bound below 1).
    public mutating func next(_ bound: Int) -> Int {
        Int(next() % UInt64(max(1, bound)))
    }
}

/// Tracking numbers from notes/scanners.md, used across the suites.
public enum Codes {
    public static let sf = "SF1000000000000"
    public static let zto = "78636098066239"
    public static let yto = "YT6900634716900"
    public static let sto = "773194917396313"
    public static let yunda = "5301156237108"
    public static let jt = "JT0006968326954"
    public static let jd = "JDVA00012345678"
    public static let deppon = "DPK364112047425"
    public static let ems = "9889510569807"
    public static let s10 = "EA123456785CN"
}
