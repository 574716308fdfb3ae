import CountReports
import Foundation
import Hashing
import ParcelRules
import StationTestSupport
import StationTime
import StoreClient
import Testing

/// Issue #13's must-show through the real `station-agent rollup`: 300 stations × 7 days from a folder and from
/// the real Swift S3 store; every number of the CSV and the JSON equals a sum this test computes from the
/// numbers it wrote; a station without files, a wrong SHA256SUMS line and a truncated file are listed by name; a
/// closed day rewritten with other numbers is *changed after upload* with both versions; the Chinese page opens
/// in a real headless Chromium.
@Suite("rollup: the county's table and page", .serialized)
struct RollupTests {
    static let keys = ["inbound", "outbound", "in_stock_end", "stale", "unmatched_outbound", "repeat_outbound",
                       "duplicates_suppressed", "rescans", "undone", "rejected"]
    static let zone = try! StationTimeZone(named: "Asia/Shanghai")

    static var days: [LocalDate] {
        let today = zone.businessDay(utcNanos: Int64(Date().timeIntervalSince1970 * 1e9))
        return (0..<7).map { today.adding(days: $0 - 6) }
    }

    struct Scene {
        let directory: URL
        let fixture: CountyFixture
        let folder: String
        let config: String
        let stationsFile: String
        /// Not in the folder at all (on the station list).
        static let silent = CountyFixture.station(42)
        /// Its SHA256SUMS line for one day is wrong.
        static let badSum = CountyFixture.station(100)
        /// One day's JSON cut in half (its SHA256SUMS does not list it).
        static let truncated = CountyFixture.station(200)
        /// The most stale parcels on the last day.
        static let stalest = CountyFixture.station(123)
        var badSumDay: LocalDate { fixture.days[2] }
        var truncatedDay: LocalDate { fixture.days[4] }

        init(_ name: String, upload: String = "") throws {
            directory = try scratchDirectory("rollup-\(name)")
            var fixture = CountyFixture(stationCount: 300, days: RollupTests.days, seed: 0x5EED_1300)
            var last = fixture.rows[Self.stalest + "|" + fixture.days[6].description]!
            last.document.counts.totals.inStockEnd += 500
            last.document.counts.totals.stale += 499
            fixture.rows[Self.stalest + "|" + fixture.days[6].description] = last
            self.fixture = fixture
            folder = directory.appendingPathComponent("county").path
            let badSumDay = fixture.days[2], truncatedDay = fixture.days[4]
            try fixture.write(
                to: folder, skip: { $0.station == Self.silent },
                sums: { row, json, csv in
                    if row.station == Self.badSum && row.date == badSumDay {
                        return String(repeating: "0", count: 64) + "  \(row.document.jsonFileName)\n\(csv)  \(row.document.csvFileName)\n"
                    }
                    if row.station == Self.truncated && row.date == truncatedDay { return "\(csv)  \(row.document.csvFileName)\n" }
                    return nil
                },
                transform: { row, bytes in
                    row.station == Self.truncated && row.date == truncatedDay ? Array(bytes.prefix(bytes.count / 2)) : bytes
                })
            config = directory.appendingPathComponent("station-agent.toml").path
            try Data("timezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n\(upload)".utf8).write(to: URL(fileURLWithPath: config))
            stationsFile = directory.appendingPathComponent("stations.txt").path
            try Data(("# the county's points\n" + fixture.stations.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: stationsFile))
        }

        /// The expected totals of each day over the rows `counted` admits.
        func expectedByDay(_ counted: (CountyFixture.Row) -> Bool) -> [LocalDate: [Int]] {
            var sums: [LocalDate: [Int]] = [:]
            for row in fixture.rows.values where counted(row) {
                sums[row.date] = zip(sums[row.date] ?? Array(repeating: 0, count: 10), row.totals).map { $0 + $1 }
            }
            return sums
        }

        func rollup(_ arguments: [String], environment: [String: String] = [:]) throws -> AgentProcess.Result {
            try AgentProcess.agent(["rollup", "--config", config] + arguments, environment: environment, timeout: 120)
        }
    }

    static func numbers(_ object: Any?) -> [Int]? {
        guard let object = object as? [String: Any] else { return nil }
        return keys.map { (object[$0] as? Int) ?? -1 }
    }

    /// Checks a roll-up's JSON against the fixture: every counted row, every day's sum, the missing rows.
    static func check(_ document: [String: Any], _ scene: Scene, counted: (CountyFixture.Row) -> Bool, missing: Set<String>) {
        let expected = scene.expectedByDay(counted)
        let byDay = document["by_day"] as? [[String: Any]] ?? []
        #expect(byDay.count == 7)
        for entry in byDay {
            let date = LocalDate(entry["date"] as? String ?? "")!
            #expect(numbers(entry["totals"]) == expected[date], "county totals of \(date)")
        }
        let period = expected.values.reduce(Array(repeating: 0, count: 10)) { zip($0, $1).map { $0 + $1 } }
        var periodExpected = period
        periodExpected[2] = expected[scene.fixture.days[6]]![2]
        periodExpected[3] = expected[scene.fixture.days[6]]![3]
        #expect(numbers(document["totals"]) == periodExpected, "the period's totals (stock of the last day)")
        let rows = document["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == 300 * 7, "one row per station and day")
        var seenMissing = Set<String>()
        for row in rows {
            let key = (row["station_id"] as? String ?? "") + "|" + (row["date"] as? String ?? "")
            if row["status"] as? String == "missing" {
                seenMissing.insert(key)
                continue
            }
            let fixtureRow = scene.fixture.rows[key]
            #expect(fixtureRow != nil && numbers(row["totals"]) == fixtureRow!.totals, "row \(key)")
            #expect(row["last_hash"] as? String == fixtureRow.map { Hex.encode($0.document.counts.lastHash!) })
            #expect(row["station_name"] as? String == fixtureRow?.document.header.stationName)
        }
        #expect(seenMissing == missing)
        let listedMissing = Set((document["missing"] as? [[String: Any]] ?? []).map { ($0["station_id"] as? String ?? "") + "|" + ($0["date"] as? String ?? "") })
        #expect(listedMissing == missing)
    }

    @Test("300 stations × 7 days from a folder: every number of the CSV and the JSON, missing, bad checksum, truncated, changed after upload")
    func fromAFolder() async throws {
        let scene = try Scene("folder")
        defer { try? FileManager.default.removeItem(at: scene.directory) }
        let out = scene.directory.appendingPathComponent("out").path
        let result = try await offThePool { try scene.rollup(["--from", scene.folder, "--since", scene.fixture.days[0].description, "--out", out, "--stations", scene.stationsFile, "--json"]) }
        #expect(result.status == 0, "\(result.standardError)")
        let document = try #require(try AgentProcess.json(result.standardOutput) as? [String: Any])
        let badSumKey = Scene.badSum + "|" + scene.badSumDay.description
        let truncatedKey = Scene.truncated + "|" + scene.truncatedDay.description
        let missing = Set(scene.fixture.days.map { Scene.silent + "|" + $0.description } + [badSumKey, truncatedKey])
        Self.check(document, scene, counted: { row in
            let key = row.station + "|" + row.date.description
            return !missing.contains(key)
        }, missing: missing)

        // The two files that could not be counted, by name and why.
        let problems = document["problems"] as? [[String: Any]] ?? []
        #expect(problems.count == 2)
        let badSumPath = "\(scene.folder)/date=\(scene.badSumDay)/station=\(Scene.badSum)/\(Scene.badSum)_\(scene.badSumDay).json"
        let truncatedPath = "\(scene.folder)/date=\(scene.truncatedDay)/station=\(Scene.truncated)/\(Scene.truncated)_\(scene.truncatedDay).json"
        #expect(problems.contains { $0["file"] as? String == badSumPath && $0["kind"] as? String == "checksum" })
        #expect(problems.contains { $0["file"] as? String == truncatedPath && $0["kind"] as? String == "not_json" })
        #expect((document["not_final"] as? [Any])?.count == 299, "today's files are open (the silent station has none)")
        #expect((document["changed_after_upload"] as? [Any])?.isEmpty == true)

        // The CSV: BOM, CRLF, the same numbers, row by row.
        let base = "county_\(scene.fixture.days[0])_\(scene.fixture.days[6])"
        let csv = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(base).csv"))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF], "UTF-8 with a BOM for Excel")
        let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
        #expect(text.hasSuffix("\r\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends")
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(header.prefix(6) == ["date", "station_id", "station_name", "status", "final", "generated_at"])
        #expect(Array(header[6..<16]) == Self.keys)
        #expect(lines.count == 1 + 300 * 7)
        var csvSums: [String: [Int]] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let key = cells[1] + "|" + cells[0]
            if cells[3] == "missing" {
                #expect(missing.contains(key))
                continue
            }
            let values = cells[6..<16].map { Int($0) ?? -1 }
            #expect(values == scene.fixture.rows[key]!.totals, "CSV row \(key)")
            #expect(cells[2] == scene.fixture.rows[key]!.document.header.stationName)
            csvSums[cells[0]] = zip(csvSums[cells[0]] ?? Array(repeating: 0, count: 10), values).map { $0 + $1 }
        }
        let expected = scene.expectedByDay { !missing.contains($0.station + "|" + $0.date.description) }
        for day in scene.fixture.days { #expect(csvSums[day.description] == expected[day], "CSV sum of \(day)") }

        // A closed day rewritten by its box and sent again reads as changed after upload, with both versions.
        let changedStation = CountyFixture.station(7), changedDay = scene.fixture.days[1]
        let before = scene.fixture.rows[changedStation + "|" + changedDay.description]!
        var rewritten = scene.fixture
        rewritten.rewrite(changedStation, changedDay, extraInbound: 5)
        try rewritten.write(to: scene.folder, skip: { $0.station != changedStation || $0.date != changedDay })
        let again = try await offThePool { try scene.rollup(["--from", scene.folder, "--since", scene.fixture.days[0].description, "--out", out, "--stations", scene.stationsFile, "--json"]) }
        #expect(again.status == 0, "\(again.standardError)")
        let second = try #require(try AgentProcess.json(again.standardOutput) as? [String: Any])
        let changed = second["changed_after_upload"] as? [[String: Any]] ?? []
        #expect(changed.count == 1)
        #expect(changed.first?["station_id"] as? String == changedStation && changed.first?["date"] as? String == changedDay.description)
        #expect(Self.numbers((changed.first?["before"] as? [String: Any])?["totals"]) == before.totals)
        #expect(Self.numbers((changed.first?["after"] as? [String: Any])?["totals"]) == rewritten.rows[changedStation + "|" + changedDay.description]!.totals)
        #expect(Self.numbers((changed.first?["after"] as? [String: Any])?["totals"])?[0] == before.totals[0] + 5)
        // And the human summary says so in words.
        let human = try await offThePool { try scene.rollup(["--from", scene.folder, "--since", scene.fixture.days[0].description, "--out", out]) }
        #expect(human.standardOutput.contains("CHANGED AFTER UPLOAD: \(changedStation) \(changedDay): inbound \(before.totals[0])→\(before.totals[0] + 5)"), "\(human.standardOutput)")
        #expect(human.standardOutput.contains("not counted: \(badSumPath)"))
    }

    @Test("the same county from the real S3 store: the same numbers, read by day prefix")
    func fromTheStore() async throws {
        guard let stores = StoreEnvironment.required() else { return }
        let prefix = "rollup-\(UInt32.random(in: 0...UInt32.max))"
        let secretPath = try scratchDirectory("rollup-secret").appendingPathComponent("s3.secret").path
        _ = FileManager.default.createFile(atPath: secretPath, contents: Data((stores.secret("STORES_S3_SECRET_FILE") + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let upload = """
            [upload]
            url = "s3://\(stores["STORES_S3_BUCKET"])/\(prefix)"
            endpoint = "\(stores["STORES_S3_ENDPOINT"])"
            region = "\(stores["STORES_S3_REGION"])"
            access_key_id = "\(stores["STORES_S3_ACCESS_KEY"])"
            secret_file = "\(secretPath)"

            """
        let scene = try Scene("store", upload: upload)
        defer { try? FileManager.default.removeItem(at: scene.directory) }
        // Put every JSON of the folder into the bucket under SPEC §8's keys, as the stations' uploaders do; one
        // day before the period too, which the roll-up must not even list.
        var keys: [(String, [UInt8])] = []
        for row in scene.fixture.rows.values where row.station != Scene.silent {
            let key = "date=\(row.date)/station=\(row.station)/\(row.document.jsonFileName)"
            let path = "\(scene.folder)/\(key)"
            keys.append((key, Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        keys.append(("date=\(scene.fixture.days[0].adding(days: -1))/station=st-0001/st-0001_\(scene.fixture.days[0].adding(days: -1)).json", Array("garbage".utf8)))
        let toPut = keys
        let failures = try await offThePool { () -> [String] in
            let clients = try (0..<6).map { _ in try stores.s3Client(prefix: prefix) }
            let failed = NSLock()
            nonisolated(unsafe) var messages: [String] = []
            DispatchQueue.concurrentPerform(iterations: clients.count) { worker in
                for index in stride(from: worker, to: toPut.count, by: clients.count) {
                    do { _ = try clients[worker].put(toPut[index].0, body: toPut[index].1, contentType: "application/json") } catch {
                        failed.lock(); messages.append("\(toPut[index].0): \(error)"); failed.unlock()
                    }
                }
            }
            return messages
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        let out = scene.directory.appendingPathComponent("out").path
        let started = Date()
        let result = try await offThePool {
            try scene.rollup(["--from", "s3://\(stores["STORES_S3_BUCKET"])/\(prefix)", "--since", scene.fixture.days[0].description, "--out", out, "--stations", scene.stationsFile, "--json"])
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.standardError)")
        let document = try #require(try AgentProcess.json(result.standardOutput) as? [String: Any])
        // The store has no SHA256SUMS: the file whose folder line was wrong is whole and counted there; the
        // truncated one is not, by its key.
        let truncatedKey = Scene.truncated + "|" + scene.truncatedDay.description
        let missing = Set(scene.fixture.days.map { Scene.silent + "|" + $0.description } + [truncatedKey])
        Self.check(document, scene, counted: { !missing.contains($0.station + "|" + $0.date.description) }, missing: missing)
        let problems = document["problems"] as? [[String: Any]] ?? []
        #expect(problems.count == 1)
        #expect(problems.first?["file"] as? String == "s3://\(stores["STORES_S3_BUCKET"])/\(prefix)/date=\(scene.truncatedDay)/station=\(Scene.truncated)/\(Scene.truncated)_\(scene.truncatedDay).json")
        #expect(document["files_seen"] as? Int == 299 * 7, "only the days asked for were listed and read")
        print("rollup from the store: \(299 * 7) files in \(String(format: "%.1f", seconds)) s")
    }

    @Test("the Chinese page in a real headless Chromium: the county's totals and the stalest station render")
    func pageInChromium() async throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else {
            if ProcessInfo.processInfo.environment["STATION_AGENT_REQUIRE_DEVICE_TESTS"] == "1" {
                Issue.record("no chromium: `make test` installs it (apt chromium fonts-noto-cjk)")
            }
            return
        }
        let scene = try Scene("chromium")
        defer { try? FileManager.default.removeItem(at: scene.directory) }
        let out = scene.directory.appendingPathComponent("out").path
        let result = try await offThePool {
            try scene.rollup(["--from", scene.folder, "--since", scene.fixture.days[0].description, "--out", out, "--stations", scene.stationsFile],
                             environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""])
        }
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("县级汇总"), "the summary in Chinese: \(result.standardOutput)")
        let page = "\(out)/county_\(scene.fixture.days[0])_\(scene.fixture.days[6]).html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("@import"),
                "self-contained: no script and nothing from the network")
        let profile = scene.directory.appendingPathComponent("chromium-profile").path
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)", "--window-size=1200,1800"]
        let dom = try await offThePool {
            try AgentProcess.run(chromium, flags + ["--dump-dom", "file://" + page], removing: AgentProcess.testbedVariables, timeout: 90)
        }
        #expect(dom.status == 0, "\(dom.standardError.suffix(2000))")
        let missing = Set(scene.fixture.days.map { Scene.silent + "|" + $0.description }
            + [Scene.badSum + "|" + scene.badSumDay.description, Scene.truncated + "|" + scene.truncatedDay.description])
        let sums = scene.expectedByDay { !missing.contains($0.station + "|" + $0.date.description) }
        let inbound = sums.values.map { $0[0] }.reduce(0, +)
        #expect(dom.standardOutput.contains("<div class=\"card\" id=\"total-inbound\">入库<b>\(inbound)</b></div>"), "the county's inbound in the rendered DOM")
        #expect(dom.standardOutput.contains("县级汇总"))
        // The stalest station heads the stale ranking, by its Chinese name.
        let stalest = CountyFixture.name(123)
        guard let ranking = dom.standardOutput.range(of: "id=\"rank-stale\"") else {
            Issue.record("no stale ranking in the DOM")
            return
        }
        let firstRow = dom.standardOutput[ranking.upperBound...].prefix(600)
        #expect(firstRow.contains(stalest), "\(firstRow)")
        let shot = AgentProcess.productsDirectory.appendingPathComponent("rollup-page.png").path
        let screenshot = try await offThePool {
            try AgentProcess.run(chromium, flags + ["--screenshot=\(shot)", "file://" + page], removing: AgentProcess.testbedVariables, timeout: 90)
        }
        #expect(screenshot.status == 0)
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "a screenshot of the page (\(shot))")
    }
}
