import Foundation
import Testing

/// `stock` (SPEC §2), the glance line of `counts`, and the Excel CSVs, through the real binary over a scripted
/// session of a week: parcels received on several past days (the wall clock shifted by `faketime`, as in
/// ``CountCommandTests``), some released, one undone, one received again after its release.
@Suite("stock command, counts glance line, Excel CSV")
struct StockTests {
    static var faketimeAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime") }

    /// An inbound scanner with a Chinese name, so the CSVs must carry Chinese text to Excel.
    static let device = "前台扫描枪"

    /// The variables that choose a language, neutralised (empty counts as not set), then `overrides`.
    static func locale(_ overrides: [String: String] = [:]) -> [String: String] {
        ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"].merging(overrides) { $1 }
    }

    struct Station {
        let directory: URL
        let config: String
        var outbox: String { directory.path + "/data/outbox" }

        init(_ name: String, extra: String = "") throws {
            directory = try scratchDirectory(name)
            config = directory.appendingPathComponent("station-agent.toml").path
            try """
                station_id = "stock-station"
                station_name = "测试站"
                timezone = "Asia/Shanghai"
                data_dir = "\(directory.path)/data"
                stale_after_days = 3
                \(extra)
                [[devices]]
                name = "\(StockTests.device)"
                vendor_id = "0c2e"
                role = "inbound"
                """.write(toFile: config, atomically: false, encoding: .utf8)
        }

        func agent(_ arguments: [String], environment: [String: String] = StockTests.locale()) throws -> AgentProcess.Result {
            try AgentProcess.agent(arguments + ["--config", config], environment: environment)
        }

        /// `scan` with the wall clock `daysAgo` days in the past (0: now).
        func scan(_ arguments: [String], daysAgo: Int) throws -> AgentProcess.Result {
            let command = [AgentProcess.agentPath, "scan"] + arguments + ["--config", config]
            if daysAgo == 0 { return try AgentProcess.agent(Array(command.dropFirst()), environment: StockTests.locale()) }
            return try AgentProcess.run(
                "/usr/bin/faketime", ["-f", "-\(daysAgo)d"] + command,
                environment: ["FAKETIME_DONT_FAKE_MONOTONIC": "1"], removing: AgentProcess.testbedVariables)
        }

        /// Another configuration of the same station and data, with `line` added (`language = "zh"`).
        func config(adding line: String) throws -> String {
            let path = directory.appendingPathComponent("with-\(line.filter { $0.isLetter }).toml").path
            try (line + "\n" + String(contentsOfFile: config, encoding: .utf8)).write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    static func shanghaiDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = shanghai
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    /// The scripts' days must not straddle a local midnight (days in stock and the business days would shift by one
    /// between the scans and the checks): waits past it when the session would start in its last two minutes.
    static func awayFromMidnight() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = shanghai
        let parts = calendar.dateComponents([.hour, .minute], from: Date())
        if parts.hour == 23, let minute = parts.minute, minute >= 58 {
            Thread.sleep(forTimeInterval: Double(60 - minute) * 60 + 5)
        }
    }

    /// A parcel the session leaves in stock: when it was received (days before now) and by which device.
    struct Held {
        let code: String
        let carrier: String
        let daysAgo: Int
        let device: String
        /// Wall time (real) around its receipt; the journal holds these minus `daysAgo` days.
        let scannedBetween: ClosedRange<Date>
    }

    /// The session. Leaves in stock, oldest first: K (9 days), B (5), C (4), E (3), F (2), A (received again 1 day
    /// ago), H (today); released: G (today), A's first stay; undone: D (4 days ago), I (today).
    static func session(_ station: Station) throws -> [Held] {
        var held: [Held] = []
        func scan(_ arguments: [String], daysAgo: Int, expect outcome: String) throws -> ClosedRange<Date> {
            let before = Date()
            let result = try station.scan(arguments, daysAgo: daysAgo)
            let after = Date()
            guard result.status == 0, result.standardOutput.hasPrefix(outcome) else {
                throw SessionError(detail: "scan \(arguments) -\(daysAgo)d: \(result.status) \(result.standardOutput) \(result.standardError)")
            }
            return before.addingTimeInterval(-1)...after.addingTimeInterval(1)
        }
        func receive(_ code: String, _ carrier: String, daysAgo: Int, device: String?) throws {
            let via = device.map { ["--device", $0] } ?? ["--in"]
            let window = try scan([code] + via, daysAgo: daysAgo, expect: "received")
            held.append(Held(code: code, carrier: carrier, daysAgo: daysAgo, device: device ?? "manual", scannedBetween: window))
        }
        // K: in 9 days ago and never collected: a stay longer than a week (the journal's second, partial index).
        try receive("SF1000000000100", "SF", daysAgo: 9, device: nil)
        // A: in 6 days ago, out 5 days ago; in again yesterday.
        _ = try scan(["SF1000000000011", "--in"], daysAgo: 6, expect: "received")
        _ = try scan(["SF1000000000011", "--out"], daysAgo: 5, expect: "released")
        try receive("SF1000000000022", "SF", daysAgo: 5, device: device)
        try receive("78000000000033", "ZTO", daysAgo: 4, device: nil)
        // D: received 4 days ago and undone at once: never in stock.
        _ = try scan(["AB12345678", "--in"], daysAgo: 4, expect: "received")
        _ = try scan(["#STATION:UNDO", "--in"], daysAgo: 4, expect: "command")
        try receive("SF1000000000055", "SF", daysAgo: 3, device: device)
        try receive("78000000000066", "ZTO", daysAgo: 2, device: nil)
        // G: in yesterday, out today.
        _ = try scan(["SF1000000000077", "--device", device], daysAgo: 1, expect: "received")
        // On the scanner: the same code again from `manual` within seconds of real (monotonic) time would be a
        // duplicate (SPEC §5.4), whatever the shifted wall clock says.
        try receive("SF1000000000011", "SF", daysAgo: 1, device: device)
        _ = try scan(["SF1000000000077", "--out"], daysAgo: 0, expect: "released")
        // A rescan of C today changes nothing.
        _ = try scan(["78000000000033", "--device", device], daysAgo: 0, expect: "rescan")
        try receive("SF1000000000088", "SF", daysAgo: 0, device: device)
        // I: in today on the scanner, undone on it.
        _ = try scan(["SF1000000000099", "--device", device], daysAgo: 0, expect: "received")
        _ = try scan(["#STATION:UNDO", "--device", device], daysAgo: 0, expect: "command")
        return held.sorted { $0.daysAgo > $1.daysAgo }
    }

    struct SessionError: Error, CustomStringConvertible {
        let detail: String
        var description: String { detail }
    }

    static func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    @Test(
        "stock lists exactly the parcels in_stock_end and stale count, oldest first, in JSON, the table and an Excel CSV",
        .enabled(if: faketimeAvailable, "needs faketime (make test installs it)"), .timeLimit(.minutes(3)))
    func stockAgreesWithTheCountFile() throws {
        Self.awayFromMidnight()
        let station = try Station("stock-cli")
        defer { station.remove() }
        let held = try Self.session(station)
        let today = Self.shanghaiDate(Date())

        // JSON: every row, oldest first.
        let result = try station.agent(["stock", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let document = try #require(try AgentProcess.json(result.standardOutput) as? [String: Any])
        let parcels = try #require(document["parcels"] as? [[String: Any]])
        #expect(parcels.map { $0["code"] as? String } == held.map(\.code), "\(result.standardOutput)")
        for (row, parcel) in zip(parcels, held) {
            #expect(row["carrier"] as? String == parcel.carrier, "\(parcel.code)")
            #expect(row["device"] as? String == parcel.device, "\(parcel.code)")
            #expect(row["days"] as? Int == parcel.daysAgo, "\(parcel.code): whole days by the end of today")
            #expect(row["stale"] as? Bool == (parcel.daysAgo >= 3), "\(parcel.code): stale after 3 days")
            let text = try #require(row["received_at"] as? String)
            #expect(text.hasSuffix("+08:00"), "in the station's zone: \(text)")
            let received = try #require(Self.rfc3339(text), "RFC 3339: \(text)")
            let shift = TimeInterval(parcel.daysAgo * 86_400)
            let window = parcel.scannedBetween.lowerBound.addingTimeInterval(-shift)...parcel.scannedBetween.upperBound.addingTimeInterval(-shift)
            #expect(window.contains(received), "\(parcel.code) received at \(text), scanned \(parcel.daysAgo) days back in \(window)")
        }
        #expect(document["in_stock"] as? Int == 7)
        #expect(document["stale"] as? Int == 4)
        #expect(document["date"] as? String == today)
        #expect(document["stale_after_days"] as? Int == 3)

        // The same numbers as today's count file, in total and per carrier.
        let export = try station.agent(["export"])
        #expect(export.status == 0, "\(export.standardError)")
        let file = try String(contentsOfFile: station.outbox + "/stock-station_\(today).json", encoding: .utf8)
        let counts = try #require(try AgentProcess.json(file) as? [String: Any])
        let totals = try #require(counts["totals"] as? [String: Any])
        #expect(totals["in_stock_end"] as? Int == document["in_stock"] as? Int)
        #expect(totals["stale"] as? Int == document["stale"] as? Int)
        let byCarrier = try #require(counts["by_carrier"] as? [String: [String: Any]])
        for carrier in ["SF", "ZTO"] {
            let rows = parcels.filter { $0["carrier"] as? String == carrier }
            #expect(byCarrier[carrier]?["in_stock_end"] as? Int == rows.count, "\(carrier)")
            #expect(byCarrier[carrier]?["stale"] as? Int == rows.filter { $0["stale"] as? Bool == true }.count, "\(carrier)")
        }

        // --stale: only the stale ones, the day's numbers unchanged.
        let stale = try station.agent(["stock", "--stale", "--json"])
        let staleDocument = try #require(try AgentProcess.json(stale.standardOutput) as? [String: Any])
        let staleRows = try #require(staleDocument["parcels"] as? [[String: Any]])
        #expect(staleRows.map { $0["code"] as? String } == held.filter { $0.daysAgo >= 3 }.map(\.code))
        #expect(staleDocument["in_stock"] as? Int == 7 && staleDocument["stale"] as? Int == 4)
        let staleTable = try station.agent(["stock", "--stale"])
        #expect(staleTable.status == 0)
        let staleLines = staleTable.standardOutput.split(separator: "\n")
        #expect(staleLines.first?.hasPrefix("in stock 7 · stale 4 (in stock over 3 days)") == true, "\(staleTable.standardOutput)")
        #expect(staleLines.count == 2 + 4, "count line, header, 4 stale parcels: \(staleTable.standardOutput)")
        #expect(!staleTable.standardOutput.contains("78000000000066") && staleTable.standardOutput.contains("SF1000000000022"))

        // The table, English and Chinese.
        let table = try station.agent(["stock"])
        let lines = table.standardOutput.split(separator: "\n")
        #expect(lines.count == 2 + 7, "\(table.standardOutput)")
        #expect(lines.dropFirst().first?.hasPrefix("CODE") == true)
        #expect(lines.last?.hasPrefix("SF1000000000088") == true, "newest last: \(table.standardOutput)")
        let chinese = try station.agent(["stock"], environment: Self.locale(["LANG": "zh_CN.UTF-8"]))
        #expect(chinese.standardOutput.hasPrefix("在库 7 件 · 滞留 4 件（在库超过 3 天）"), "\(chinese.standardOutput)")
        #expect(chinese.standardOutput.contains("条码") && chinese.standardOutput.contains("在库天数"))

        // CSV for Excel: BOM, CRLF, the Chinese device name as UTF-8, the same rows.
        let csv = try station.agent(["stock", "--csv"])
        #expect(csv.status == 0)
        #expect(csv.standardOutput.utf8.starts(with: [0xEF, 0xBB, 0xBF]), "UTF-8 byte order mark")
        let body = try #require(ControlCharacterTests.excelCSV(csv.standardOutput), "CRLF line ends: \(csv.standardOutput.debugDescription)")
        let rows = ControlCharacterTests.parseCSV(body)
        #expect(rows.first == ["code", "carrier", "received_at", "device", "days", "stale"])
        #expect(rows.dropFirst().map { $0[0] } == held.map(\.code))
        #expect(rows.dropFirst().map { $0[3] } == held.map(\.device))
        #expect(rows.dropFirst().map { $0[4] } == held.map { String($0.daysAgo) })
        let staleCSV = try station.agent(["stock", "--stale", "--csv"])
        #expect(ControlCharacterTests.excelCSV(staleCSV.standardOutput).map { ControlCharacterTests.parseCSV($0).count } == 1 + 4)

        #expect(try station.agent(["stock", "--json", "--csv"]).status == 2, "bad usage")

        // scans --csv is for Excel too: BOM, CRLF, today's events with the Chinese device name as UTF-8.
        let scans = try station.agent(["scans", "--csv"])
        #expect(scans.status == 0, "\(scans.standardError)")
        #expect(scans.standardOutput.utf8.starts(with: [0xEF, 0xBB, 0xBF]), "UTF-8 byte order mark")
        let scansBody = try #require(ControlCharacterTests.excelCSV(scans.standardOutput), "CRLF: \(scans.standardOutput.debugDescription)")
        let scanRows = ControlCharacterTests.parseCSV(scansBody)
        #expect(scanRows.first?.first == "seq" && scanRows.dropFirst().allSatisfy { $0.count == 13 })
        #expect(scanRows.contains { $0[2] == "SF1000000000088" && $0[11] == Self.device }, "\(scansBody)")
        #expect(scans.standardOutput.utf8.count > scansBody.utf8.count + 3, "CR bytes on the wire")
    }

    @Test("stock with nothing in stock says so in words", .timeLimit(.minutes(1)))
    func emptyStock() throws {
        let station = try Station("stock-empty")
        defer { station.remove() }
        let none = try station.agent(["stock"])
        #expect(none.status == 0, "\(none.standardError)")
        #expect(none.standardOutput.contains("No parcels in stock."), "\(none.standardOutput)")
        #expect(try station.scan(["SF1000000000011", "--in"], daysAgo: 0).status == 0)
        let fresh = try station.agent(["stock", "--stale"], environment: Self.locale(["LC_MESSAGES": "zh_CN.UTF-8"]))
        #expect(fresh.standardOutput.contains("没有滞留件"), "\(fresh.standardOutput)")
        #expect(try station.scan(["SF1000000000011", "--out"], daysAgo: 0).status == 0)
        let json = try station.agent(["stock", "--json"])
        let document = try #require(try AgentProcess.json(json.standardOutput) as? [String: Any])
        #expect((document["parcels"] as? [Any])?.isEmpty == true && document["in_stock"] as? Int == 0)
        let csv = try station.agent(["stock", "--csv"])
        #expect(csv.standardOutput == "\u{FEFF}code,carrier,received_at,device,days,stale\r\n")
    }

    @Test(
        "counts starts with the glance line of the day's numbers, in English, under a Chinese locale and with language = zh",
        .enabled(if: faketimeAvailable, "needs faketime (make test installs it)"), .timeLimit(.minutes(3)))
    func glanceLine() throws {
        Self.awayFromMidnight()
        let station = try Station("stock-glance")
        defer { station.remove() }
        _ = try Self.session(station)
        let today = Self.shanghaiDate(Date())
        func firstLine(_ result: AgentProcess.Result) -> String {
            String(result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }

        // Today: H received (I's receipt was undone, C's rescan is not counted), G released; the stock of `stock`.
        let english = try station.agent(["counts"])
        #expect(english.status == 0, "\(english.standardError)")
        #expect(firstLine(english) == "today in 1 · out 1 · in stock 7 · stale 4", "\(english.standardOutput)")
        #expect(try station.agent(["export"]).status == 0)
        let file = try String(contentsOfFile: station.outbox + "/stock-station_\(today).json", encoding: .utf8)
        let totals = try #require((try AgentProcess.json(file) as? [String: Any])?["totals"] as? [String: Any])
        let fromFile = "today in \(totals["inbound"] as? Int ?? -1) · out \(totals["outbound"] as? Int ?? -1)"
            + " · in stock \(totals["in_stock_end"] as? Int ?? -1) · stale \(totals["stale"] as? Int ?? -1)"
        #expect(firstLine(english) == fromFile, "the numbers of today's count file")

        let chinese = try station.agent(["counts"], environment: Self.locale(["LANG": "zh_CN.UTF-8"]))
        #expect(firstLine(chinese) == "今天 入库 1 · 出库 1 · 在库 7 · 滞留 4", "\(chinese.standardOutput)")
        let allOverridesLang = try station.agent(["counts"], environment: Self.locale(["LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"]))
        #expect(firstLine(allOverridesLang) == "today in 1 · out 1 · in stock 7 · stale 4", "LC_ALL comes first")

        let zhConfig = try station.config(adding: "language = \"zh\"")
        let configured = try AgentProcess.agent(["counts", "--config", zhConfig], environment: Self.locale())
        #expect(configured.status == 0, "\(configured.standardError)")
        #expect(firstLine(configured) == "今天 入库 1 · 出库 1 · 在库 7 · 滞留 4", "\(configured.standardOutput)")
        let enConfig = try station.config(adding: "language = \"en\"")
        let configuredEnglish = try AgentProcess.agent(["counts", "--config", enConfig], environment: Self.locale(["LANG": "zh_CN.UTF-8"]))
        #expect(firstLine(configuredEnglish) == "today in 1 · out 1 · in stock 7 · stale 4", "language wins over the locale")
        let badConfig = try station.config(adding: "language = \"fr\"")
        let bad = try AgentProcess.agent(["counts", "--config", badConfig], environment: Self.locale())
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("language = \"fr\""), "\(bad.standardError)")

        // Another day is named by its date: 4 days ago C was received (D's receipt undone); K, B and C were in stock,
        // K stale by then.
        let past = Self.shanghaiDate(Date().addingTimeInterval(-4 * 86_400))
        let pastEnglish = try station.agent(["counts", "--date", past])
        #expect(firstLine(pastEnglish) == "\(past) in 1 · out 0 · in stock 3 · stale 1", "\(pastEnglish.standardOutput)")
        let pastChinese = try AgentProcess.agent(["counts", "--date", past, "--config", zhConfig], environment: Self.locale())
        #expect(firstLine(pastChinese) == "\(past) 入库 1 · 出库 0 · 在库 3 · 滞留 1", "\(pastChinese.standardOutput)")
        // Today named by its date is still today.
        #expect(firstLine(try station.agent(["counts", "--date", today])).hasPrefix("today in 1 "))

        // Never in JSON.
        let json = try station.agent(["counts", "--json"], environment: Self.locale(["LANG": "zh_CN.UTF-8"]))
        #expect(json.standardOutput.hasPrefix("{"), "\(json.standardOutput.prefix(80))")
        #expect(!json.standardOutput.contains("今天") && !json.standardOutput.contains("today in"))
    }
}
