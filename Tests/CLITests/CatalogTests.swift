import Foundation
import Testing

/// SPEC §2, issue #14: the commands' human phrases are in one catalog (Sources/StationAgentCLI/Phrases.swift) with
/// a Chinese form for each; `counts` and `scans` print them in Chinese under `language = "zh"` and under
/// LANG=zh_CN.UTF-8 on a box with no zh_CN locale generated.
@Suite("the phrase catalog")
struct CatalogTests {
    static var catalogPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/StationAgentCLI/Phrases.swift").path
    }

    /// `case name = "English"` lines, and `.name: "中文"` lines, of the catalog's source.
    static func entries() throws -> (english: [String: String], chinese: [String: String]) {
        let text = try String(contentsOfFile: catalogPath, encoding: .utf8)
        var english: [String: String] = [:], chinese: [String: String] = [:]
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("case "), let equals = line.firstIndex(of: "="), let open = line.firstIndex(of: "\""), line.hasSuffix("\"") {
                let name = line.dropFirst(5)[..<equals].trimmingCharacters(in: .whitespaces)
                english[name] = String(line[line.index(after: open)..<line.index(before: line.endIndex)])
            } else if line.hasPrefix("."), let colon = line.firstIndex(of: ":"), let open = line.firstIndex(of: "\""), line.hasSuffix("\",") {
                chinese[String(line.dropFirst()[..<colon])] = String(line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)])
            }
        }
        return (english, chinese)
    }

    static func placeholders(_ text: String) -> [String] {
        text.matches(of: /\{[0-9]+\}/).map { String($0.output) }.sorted()
    }

    @Test("every phrase has a Chinese form with the same placeholders, and nothing else is translated")
    func everyPhraseHasChinese() throws {
        let (english, chinese) = try Self.entries()
        #expect(english.count > 20, "the catalog was read: \(english.count) phrases")
        for (name, phrase) in english {
            let translation = try #require(chinese[name], "phrase .\(name) (\"\(phrase)\") has no Chinese")
            #expect(!translation.isEmpty && translation != phrase, ".\(name)")
            #expect(Self.placeholders(translation) == Self.placeholders(phrase), ".\(name): \(translation)")
        }
        #expect(Set(chinese.keys).subtracting(english.keys).isEmpty, "Chinese for phrases that do not exist: \(Set(chinese.keys).subtracting(english.keys))")
    }

    @Test("counts and scans in Chinese: language = zh, and LANG=zh_CN.UTF-8 without the locale", .timeLimit(.minutes(1)))
    func countsAndScansInChinese() throws {
        let directory = try scratchDirectory("catalog")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station.toml").path
        try "station_id = \"cat\"\nstation_name = \"小湖村\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        func agent(_ arguments: [String], _ environment: [String: String]) throws -> AgentProcess.Result {
            try AgentProcess.agent(arguments + ["--config", config], environment: environment)
        }
        let english = ["LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let chinese = ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        #expect(try agent(["scans"], chinese).standardOutput.contains("没有扫描记录。"))
        #expect(try agent(["scan", "SF1000000000001", "--in"], english).status == 0)
        #expect(try agent(["scan", "SF1000000000001", "--out"], english).status == 0)

        let counts = try agent(["counts"], chinese)
        #expect(counts.status == 0, "\(counts.standardError)")
        for word in ["快递公司", "入库", "出库", "在库", "滞留", "无效条码", "合计", "设备", "当日未结束", "当日结束时在库 0 件", "日志记录 #1–#2"] {
            #expect(counts.standardOutput.contains(word), "\(word) in:\n\(counts.standardOutput)")
        }
        for word in ["CARRIER", "TOTAL", "REJECTED", "In stock at the end", "Journal events", "day still open"] {
            #expect(!counts.standardOutput.contains(word), "English \(word) in:\n\(counts.standardOutput)")
        }
        let scans = try agent(["scans"], chinese).standardOutput
        #expect(scans.contains("序号") && scans.contains("条码") && scans.contains("撤销了") && !scans.contains("OUTCOME"), "\(scans)")

        // The language of the configuration wins over the locale; English stays as it was.
        try ("language = \"zh\"\n" + (try String(contentsOfFile: config, encoding: .utf8))).write(toFile: config, atomically: false, encoding: .utf8)
        #expect(try agent(["counts"], english).standardOutput.contains("快递公司"))
        try (try String(contentsOfFile: config, encoding: .utf8)).replacingOccurrences(of: "language = \"zh\"", with: "language = \"en\"")
            .write(toFile: config, atomically: false, encoding: .utf8)
        let plain = try agent(["counts"], chinese).standardOutput
        #expect(plain.contains("CARRIER") && plain.contains("TOTAL") && plain.contains("Journal events #1–#2"), "\(plain)")
    }

    @Test("scan says what happened in Chinese under a zh locale, below the outcome line scripts read", .timeLimit(.minutes(1)))
    func scanSentences() throws {
        let directory = try scratchDirectory("catalog-scan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station.toml").path
        try "station_id = \"cat\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let chinese = ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        func scan(_ arguments: [String]) throws -> [String] {
            let result = try AgentProcess.agent(["scan"] + arguments + ["--config", config], environment: chinese)
            #expect(result.status == 0, "\(result.standardError)")
            return result.standardOutput.split(separator: "\n").map(String.init)
        }
        let cases: [([String], String, String)] = [
            (["SF1000000000001", "--in"], "received SF1000000000001", "入库成功：SF1000000000001"),
            (["SF1000000000001", "--in"], "duplicate SF1000000000001", "重复扫描"),
            (["SF1000000000001", "--out"], "released SF1000000000001", "出库成功：SF1000000000001"),
            (["YT6900634716900", "--out"], "released_unmatched YT6900634716900", "未入库就出库"),
            (["6901234567892", "--in"], "rejected 6901234567892", "无效条码：6901234567892（这是商品条码，不是快递单号）"),
            // Undoes the newest counted events one by one (seq 4, 3, 1), then there is nothing left to undo.
            (["#STATION:UNDO", "--in"], "command #STATION:UNDO", "已撤销：第 "),
            (["#STATION:UNDO", "--in"], "command #STATION:UNDO", "已撤销：第 "),
            (["#STATION:UNDO", "--in"], "command #STATION:UNDO", "已撤销：第 "),
            (["#STATION:UNDO", "--in"], "command #STATION:UNDO", "没有撤销：这台扫码枪 10 分钟内没有可撤销的包裹。"),
        ]
        for (arguments, line, sentence) in cases {
            let lines = try scan(arguments)
            #expect(lines.first?.hasPrefix(line) == true, "\(arguments): \(lines)")
            // The outcome line, then one sentence: never the same thing said twice.
            #expect(lines.count == 2 && lines[1].contains(sentence), "\(arguments): \(lines)")
        }
        // English: the outcome line alone, as before.
        let english = try AgentProcess.agent(["scan", "SF1000000000009", "--in", "--config", config], environment: ["LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""])
        #expect(english.standardOutput.split(separator: "\n").count == 1, "\(english.standardOutput)")
    }
}
