import Foundation
import Testing

import HumanWords

/// SPEC §2, issue #14: every sentence a person reads has its Chinese in one catalog (Sources/HumanWords/Catalog.swift):
/// the commands' fixed phrases (`Phrase`, Sources/StationAgentCLI/Phrases.swift) and every `Words("…")` and
/// `DoctorCheck(…)` sentence of the sources, found here as `xgettext` would find them. The commands print them in
/// Chinese under `language = "zh"` and under LANG=zh_CN.UTF-8 on a box with no zh_CN locale generated.
@Suite("the phrase catalog")
struct CatalogTests {
    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    /// The English of `case name = "English"` lines of Phrases.swift.
    static func phrases() throws -> [String] {
        let text = try String(contentsOf: sources.appendingPathComponent("StationAgentCLI/Phrases.swift"), encoding: .utf8)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.compactMap { line in
            guard line.hasPrefix("case "), line.contains(" = \""), line.hasSuffix("\"") else { return nil }
            let open = line.range(of: " = \"")!.upperBound
            return String(line[open..<line.index(before: line.endIndex)])
        }
    }

    /// Every template of the sources: the first string literal of each `Words(`, and every top-level string
    /// literal argument of each `DoctorCheck(` (its name, message and fix), with `\(…)` as `{1}`, `{2}` ….
    static func templates() throws -> [(template: String, file: String)] {
        var found: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: sources.path)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".swift"), !relative.hasPrefix("HumanWords/") else { continue }
            let text = Array(try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8).unicodeScalars)
            for (marker, all) in [("Words(", false), ("DoctorCheck(", true)] {
                for literal in SwiftLiterals.arguments(of: marker, in: text, all: all) { found.append((literal, relative)) }
            }
        }
        return found
    }

    static func placeholders(_ text: String) -> [String] {
        text.matches(of: /\{[0-9]+\}/).map { String($0.output) }.sorted()
    }

    @Test("every phrase and sentence has a Chinese form with the same placeholders, and the catalog holds nothing unused")
    func everyPhraseHasChinese() throws {
        let phrases = try Self.phrases()
        let templates = try Self.templates()
        #expect(phrases.count > 50, "the phrases were read: \(phrases.count)")
        #expect(templates.count > 60, "the sources' sentences were found: \(templates.count)")
        var used: Set<String> = []
        for (english, file) in phrases.map({ ($0, "StationAgentCLI/Phrases.swift") }) + templates {
            used.insert(english)
            // A template of values alone ("{1}: {2}") has nothing to translate.
            guard english.contains(where: \.isLetter) else { continue }
            guard let translation = Catalog.chinese[english] else {
                Issue.record("\(file): \"\(english)\" has no Chinese in Sources/HumanWords/Catalog.swift")
                continue
            }
            #expect(!translation.isEmpty, "\(file): \(english)")
            #expect(Self.placeholders(translation) == Self.placeholders(english), "\(file): \(english) → \(translation)")
        }
        let unused = Set(Catalog.chinese.keys).subtracting(used)
        #expect(unused.isEmpty, "entries of the catalog that no source says: \(unused.sorted())")
    }

    @Test("the sentence type fills values in the order of each language, and says nested words in the same language")
    func wordsFillIn() {
        let inner: Words = "the journal"
        let words: Words = "\(inner) at \("/var/lib/x") is damaged"
        #expect(words.template == "{1} at {2} is damaged")
        #expect(words.description == "the journal at /var/lib/x is damaged")
        #expect(Words.verbatim("库 {1} {x").text(.zh) == "库 {1} {x")
        #expect(words == "the journal at /var/lib/x is damaged", "equal to the literal it reads as")
    }

    @Test("doctor, verify, upload --status, a configuration error and a usage error in Chinese; --json stays English", .timeLimit(.minutes(1)))
    func technicianOutputInChinese() throws {
        let directory = try scratchDirectory("catalog-doctor")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station.toml").path
        try "station_id = \"cat\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let chinese = ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let english = ["LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        func agent(_ arguments: [String], _ environment: [String: String], config path: String? = nil) throws -> AgentProcess.Result {
            try AgentProcess.agent(arguments + ["--config", path ?? config], environment: environment)
        }
        let doctor = try agent(["doctor"], chinese)
        for word in ["通过", "配置", "时区", "日志库", "数据目录", "项通过"] {
            #expect(doctor.standardOutput.contains(word), "\(word) in:\n\(doctor.standardOutput)")
        }
        for word in ["PASS", "WARN", "time zone", "data directory", "does not exist yet", "passed,"] {
            #expect(!doctor.standardOutput.contains(word), "English \(word) in:\n\(doctor.standardOutput)")
        }
        let json = try agent(["doctor", "--json"], chinese).standardOutput
        #expect(json.contains("\"time zone\"") && !json.contains("时区"), "\(json)")

        #expect(try agent(["scan", "SF1000000000001", "--in"], english).status == 0)
        let verify = try agent(["verify"], chinese)
        #expect(verify.standardOutput.contains("日志库") && verify.standardOutput.contains("通过"), "\(verify.standardOutput)")
        #expect(!verify.standardOutput.contains("OK:") && !verify.standardOutput.contains("recomputed"), "\(verify.standardOutput)")

        // A configuration error names the file, key and value in Chinese words; the values stay as written.
        let bad = directory.appendingPathComponent("bad.toml").path
        try "station_id = \"cat\"\nstale_after_days = -4\n".write(toFile: bad, atomically: false, encoding: .utf8)
        let refused = try agent(["counts"], chinese, config: bad)
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("配置错误") && refused.standardError.contains("stale_after_days = -4")
            && refused.standardError.contains("必须在 1 到 365 之间"), "\(refused.standardError)")
        let plain = try agent(["counts"], english, config: bad)
        #expect(plain.standardError.contains("configuration error in \(bad): stale_after_days = -4: must be from 1 to 365"), "\(plain.standardError)")

        // A usage error after the configuration was read: in its language.
        let usage = try agent(["scan", "SF1000000000002"], chinese)
        #expect(usage.status == 2 && usage.standardError.contains("请说明方向"), "\(usage.standardError)")
        try ("language = \"zh\"\n" + (try String(contentsOfFile: config, encoding: .utf8))).write(toFile: config, atomically: false, encoding: .utf8)
        #expect(try agent(["scan", "SF1000000000002"], english).standardError.contains("请说明方向"))
        let upload = try agent(["upload", "--status"], english)
        #expect(upload.status == 2 && upload.standardError.contains("没有上传目标"), "\(upload.standardError)")
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

/// A small reader of Swift string literals, enough for the catalog test: finds `marker(` calls and reads their string
/// literal arguments, turning each interpolation into `{n}` as ``Words`` does at run time.
enum SwiftLiterals {
    static func arguments(of marker: String, in text: [Unicode.Scalar], all: Bool) -> [String] {
        let pattern = Array(marker.unicodeScalars)
        var results: [String] = []
        var index = 0
        while index + pattern.count <= text.count {
            guard Array(text[index..<index + pattern.count]) == pattern,
                  index == 0 || !(text[index - 1].properties.isAlphabetic || text[index - 1] == "_" || text[index - 1] == ".")
            else { index += 1; continue }
            var position = index + pattern.count
            var depth = 0
            var first = true
            scan: while position < text.count {
                switch text[position] {
                case "\"":
                    let (literal, end) = read(text, from: position + 1)
                    if depth == 0 && (all || first) { results.append(literal) }
                    position = end
                    if !all { break scan }
                    continue
                case "(", "[": depth += 1
                case ")", "]":
                    if depth == 0 { break scan }
                    depth -= 1
                case " ", "\n": break
                default: if depth == 0 { first = false }
                }
                position += 1
            }
            index = position
        }
        return results
    }

    /// The literal starting after its opening quote, and the position after its closing quote.
    static func read(_ text: [Unicode.Scalar], from start: Int) -> (String, Int) {
        var result = ""
        var count = 0
        var position = start
        while position < text.count {
            let scalar = text[position]
            if scalar == "\"" { return (result, position + 1) }
            if scalar == "\\", position + 1 < text.count {
                let next = text[position + 1]
                position += 2
                switch next {
                case "(":
                    var depth = 1
                    while position < text.count && depth > 0 {
                        switch text[position] {
                        case "\"": position = read(text, from: position + 1).1; continue
                        case "(": depth += 1
                        case ")": depth -= 1
                        default: break
                        }
                        position += 1
                    }
                    count += 1
                    result += "{\(count)}"
                case "n": result += "\n"
                case "t": result += "\t"
                case "0": result += "\0"
                case "u":
                    // \u{XXXX}
                    var hex = ""
                    position += 1
                    while position < text.count && text[position] != "}" { hex.unicodeScalars.append(text[position]); position += 1 }
                    position += 1
                    if let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) { result.unicodeScalars.append(decoded) }
                default: result.unicodeScalars.append(next)
                }
                continue
            }
            result.unicodeScalars.append(scalar)
            position += 1
        }
        return (result, position)
    }
}
