import CountReports
import ParcelRules
import StationTime
import TextEscaping

/// The language of the HTML page's labels and the human summary (SPEC §2); the CSV's header and the JSON's keys
/// are the same in every language.
public enum RollupLanguage: Sendable {
    case english, chinese
}

extension RollupReport {
    /// `county_<from>_<to>` (without extension).
    public var baseName: String { "county_\(from)_\(to)" }

    public static let csvColumns = ["date", "station_id", "station_name", "status", "final", "generated_at"]
        + ParcelCounts.fileKeys + ["last_hash", "file"]

    /// One row per station and day (missing days too, with empty numbers), UTF-8 with a BOM and CRLF line ends so
    /// Excel on a Chinese Windows PC opens it with the names intact; every cell formula-safe (``CSV/cell(_:)``).
    public var csv: String {
        CSV.excelDocument([Self.csvColumns] + rows.map { row in
            // Text is escaped for people; every cell is then made formula-safe by excelDocument.
            var cells = [row.date.description, Escaping.text(row.stationID), Escaping.text(row.stationName), row.status.rawValue]
            if let file = row.file {
                cells += [file.isFinal ? "true" : "false", Escaping.text(file.generatedAt)] + file.totals.fileValues.map(String.init)
                    + [Escaping.text(file.lastHash ?? ""), Escaping.text(file.source)]
            } else {
                cells += Array(repeating: "", count: 2 + ParcelCounts.fileKeys.count + 2)
            }
            return cells
        })
    }

    // MARK: JSON

    /// The same table as one JSON document (`county-rollup/1`), for scripts.
    public func json(generatedAt: String, source: String) -> String {
        func q(_ text: String) -> String { CountDocument.quoted(text) }
        func counters(_ c: RollupCounters) -> String {
            "{" + zip(ParcelCounts.fileKeys, c.fileValues).map { q($0.0) + ": " + String($0.1) }.joined(separator: ", ") + "}"
        }
        func keyed(_ entries: [String: RollupCounters]) -> String {
            "{" + entries.keys.sorted().map { q($0) + ": " + counters(entries[$0]!) }.joined(separator: ", ") + "}"
        }
        func entry(_ e: RollupState.Entry) -> String {
            "{\"final\": \(e.isFinal), \"generated_at\": \(q(e.generatedAt)), \"last_hash\": \(e.lastHash.map(q) ?? "null"), \"sha256\": \(q(e.sha256)), \"totals\": \(counters(e.totals))}"
        }
        func list(_ items: [String]) -> String { items.isEmpty ? "[]" : "[\n    " + items.joined(separator: ",\n    ") + "\n  ]" }
        var out = "{\n"
        out += "  \"schema\": \"county-rollup/1\",\n"
        out += "  \"from\": \(q(from.description)),\n  \"to\": \(q(to.description)),\n"
        out += "  \"generated_at\": \(q(generatedAt)),\n  \"source\": \(q(source)),\n"
        out += "  \"stations\": \(list(stations.map(q))),\n"
        out += "  \"stations_from_list\": \(stationsFromList),\n"
        out += "  \"files_seen\": \(filesSeen),\n"
        out += "  \"totals\": \(counters(periodTotals)),\n"
        out += "  \"by_day\": " + list(days.map { day in
            let files = rows.filter { $0.date == day && $0.file != nil }.count
            return "{\"date\": \(q(day.description)), \"files\": \(files), \"totals\": \(counters(totals(of: day))), \"by_carrier\": \(keyed(byCarrier(of: day)))}"
        }) + ",\n"
        out += "  \"rows\": " + list(rows.map { row in
            var text = "{\"date\": \(q(row.date.description)), \"station_id\": \(q(row.stationID)), \"station_name\": \(q(row.stationName)), \"status\": \(q(row.status.rawValue))"
            if let file = row.file {
                text += ", \"final\": \(file.isFinal), \"generated_at\": \(q(file.generatedAt)), \"totals\": \(counters(file.totals)), \"by_carrier\": \(keyed(file.byCarrier)), \"last_hash\": \(file.lastHash.map(q) ?? "null"), \"file\": \(q(file.source))"
            } else {
                text += ", \"final\": null, \"generated_at\": null, \"totals\": null, \"by_carrier\": null, \"last_hash\": null, \"file\": null"
            }
            return text + "}"
        }) + ",\n"
        out += "  \"missing\": " + list(missing.map { "{\"date\": \(q($0.date.description)), \"station_id\": \(q($0.stationID))}" }) + ",\n"
        out += "  \"not_final\": " + list(notFinal.map { "{\"date\": \(q($0.date.description)), \"station_id\": \(q($0.stationID)), \"file\": \(q($0.file!.source))}" }) + ",\n"
        out += "  \"changed_after_upload\": " + list(changed.map {
            "{\"date\": \(q($0.date.description)), \"station_id\": \(q($0.stationID)), \"file\": \(q($0.file)), \"before\": \(entry($0.before)), \"after\": \(entry($0.after))}"
        }) + ",\n"
        out += "  \"problems\": " + list(problems.map { "{\"file\": \(q($0.file)), \"kind\": \(q($0.kind)), \"detail\": \(q($0.detail))}" }) + ",\n"
        out += "  \"unlisted_stations\": \(list(unlisted.map(q)))\n"
        return out + "}\n"
    }
}

/// The words of the page and the summary, in both languages.
struct RollupWords {
    let language: RollupLanguage
    func callAsFunction(_ english: String, _ chinese: String) -> String { language == .chinese ? chinese : english }

    var counterNames: [String] {
        language == .chinese
            ? ["入库", "出库", "在库", "滞留", "未入库出库", "重复出库", "重复扫描(已忽略)", "重扫", "撤销", "无效条码"]
            : ["inbound", "outbound", "in stock", "stale", "out, not in stock", "repeat out", "duplicates", "rescans", "undone", "rejected"]
    }

    func problem(_ kind: String) -> String {
        switch kind {
        case "checksum": self("fails its checksum (SHA256SUMS or the store's ETag)", "校验和不符 (SHA256SUMS 或存储的 ETag)")
        case "unreadable": self("cannot be read", "无法读取")
        case "not_json": self("not a whole count file (cut off?)", "不是完整的统计文件 (被截断?)")
        case "schema": self("another schema", "格式版本不同")
        case "name": self("its name and its content disagree", "文件名与内容不一致")
        case "conflict": self("two different final files of one day", "同一天有两个不同的最终文件")
        default: self("bad content", "内容有误")
        }
    }
}

extension RollupReport {
    /// The supervisor's page: one self-contained HTML file (no script, no font or image from the network), opens
    /// from a USB stick. Totals per day and carrier, a chart of inbound/outbound per day (inline SVG), stations
    /// ranked by stale and by in-stock parcels (their newest file), stations with no file for a day, files not
    /// final, files changed after upload with both versions, and the files that could not be counted.
    public func html(language: RollupLanguage, generatedAt: String, source: String) -> String {
        let w = RollupWords(language: language)
        func h(_ text: String) -> String { Self.escapeHTML(Escaping.text(text)) }
        func station(_ id: String) -> String {
            let name = names[id] ?? ""
            return name.isEmpty ? "<span class=\"id\">\(h(id))</span>" : "\(h(name)) <span class=\"id\">\(h(id))</span>"
        }
        func numberCells(_ c: RollupCounters) -> String { c.fileValues.map { "<td class=\"n\">\($0)</td>" }.joined() }
        let counterHeads = w.counterNames.map { "<th>\(h($0))</th>" }.joined()
        let period = from == to ? from.description : "\(from) – \(to)"
        let sum = periodTotals
        var out = """
            <!DOCTYPE html>
            <html lang="\(language == .chinese ? "zh-CN" : "en")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(h(w("County roll-up", "县级汇总"))) \(h(period))</title>
            <style>
            body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","SimHei","WenQuanYi Micro Hei",system-ui,sans-serif;margin:24px;color:#1d2330;background:#fff}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #e3e7ee;padding-bottom:4px}
            .meta{color:#5b6475;font-size:13px}.id{color:#7a8394;font-size:12px}
            .cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{border:1px solid #dde2ea;border-radius:8px;padding:10px 16px;min-width:120px}
            .card b{display:block;font-size:26px}.card.warn{border-color:#e0a100;background:#fff8e6}.card.bad{border-color:#d93025;background:#fdecea}
            table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{border:1px solid #dde2ea;padding:3px 8px;text-align:left}
            th{background:#f3f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fdecea}
            .none{color:#5b6475;font-style:italic}
            </style>
            </head>
            <body>
            <h1>\(h(w("County roll-up", "县级汇总"))) \(h(period))</h1>
            <p class="meta">\(h(w("Generated at", "生成时间"))) \(h(generatedAt)) · \(h(w("from", "来源"))) \(h(source)) · \(stations.count) \(h(w("stations", "个服务点"))) · \(filesSeen) \(h(w("count files", "个统计文件")))</p>
            <div class="cards">
            <div class="card" id="total-inbound">\(h(w("Inbound", "入库")))<b>\(sum.inbound)</b></div>
            <div class="card" id="total-outbound">\(h(w("Outbound", "出库")))<b>\(sum.outbound)</b></div>
            <div class="card" id="total-in-stock">\(h(w("In stock", "在库"))) (\(to))<b>\(sum.inStockEnd)</b></div>
            <div class="card\(sum.stale > 0 ? " warn" : "")" id="total-stale">\(h(w("Stale", "滞留"))) (\(to))<b>\(sum.stale)</b></div>
            <div class="card\(missing.isEmpty ? "" : " bad")" id="total-missing">\(h(w("No file", "未交文件")))<b>\(missing.count)</b></div>
            <div class="card\(notFinal.isEmpty ? "" : " warn")" id="total-not-final">\(h(w("Not final", "当日未结束")))<b>\(notFinal.count)</b></div>
            <div class="card\(changed.isEmpty ? "" : " bad")" id="total-changed">\(h(w("Changed after upload", "上传后被改")))<b>\(changed.count)</b></div>
            <div class="card\(problems.isEmpty ? "" : " bad")" id="total-problems">\(h(w("Files not counted", "未计入的文件")))<b>\(problems.count)</b></div>
            </div>

            """
        out += "<h2>\(h(w("Inbound and outbound per day", "每日入库与出库")))</h2>\n" + chartSVG(words: w) + "\n"

        out += "<h2>\(h(w("Totals per day", "每日合计")))</h2>\n<table id=\"by-day\"><tr><th>\(h(w("Day", "日期")))</th><th>\(h(w("Files", "文件数")))</th>\(counterHeads)</tr>\n"
        for day in days {
            let files = rows.filter { $0.date == day && $0.file != nil }.count
            out += "<tr><td>\(day)</td><td class=\"n\">\(files)</td>\(numberCells(totals(of: day)))</tr>\n"
        }
        out += "<tr><th>\(h(w("Period", "合计")))</th><th></th>\(numberCells(sum))</tr>\n</table>\n"

        let carriers = byCarrier(of: nil)
        let lastDay = byCarrier(of: to)
        out += "<h2>\(h(w("Per carrier", "按快递公司")))</h2>\n"
        if carriers.isEmpty {
            out += "<p class=\"none\">\(h(w("No parcels in this period.", "本期没有快件。")))</p>\n"
        } else {
            out += "<table id=\"by-carrier\"><tr><th>\(h(w("Carrier", "快递公司")))</th><th>\(h(w("Inbound", "入库")))</th><th>\(h(w("Outbound", "出库")))</th><th>\(h(w("In stock", "在库"))) (\(to))</th><th>\(h(w("Stale", "滞留"))) (\(to))</th><th>\(h(w("Out, not in stock", "未入库出库")))</th><th>\(h(w("Undone", "撤销")))</th></tr>\n"
            for carrier in carriers.keys.sorted(by: { carriers[$0]!.inbound != carriers[$1]!.inbound ? carriers[$0]!.inbound > carriers[$1]!.inbound : $0 < $1 }) {
                let c = carriers[carrier]!
                let stock = lastDay[carrier] ?? RollupCounters()
                out += "<tr><td>\(h(carrier))</td><td class=\"n\">\(c.inbound)</td><td class=\"n\">\(c.outbound)</td><td class=\"n\">\(stock.inStockEnd)</td><td class=\"n\">\(stock.stale)</td><td class=\"n\">\(c.unmatchedOutbound)</td><td class=\"n\">\(c.undone)</td></tr>\n"
            }
            out += "</table>\n"
        }

        func ranking(_ id: String, _ title: String, _ number: @escaping (RollupCounters) -> Int) {
            let ranked = ranked(by: number)
            out += "<h2>\(h(title))</h2>\n"
            guard !ranked.isEmpty else {
                out += "<p class=\"none\" id=\"\(id)\">\(h(w("None.", "无。")))</p>\n"
                return
            }
            out += "<table id=\"\(id)\"><tr><th>#</th><th>\(h(w("Station", "服务点")))</th><th>\(h(w("Stale", "滞留")))</th><th>\(h(w("In stock", "在库")))</th><th>\(h(w("As of", "截至")))</th></tr>\n"
            for (index, row) in ranked.prefix(30).enumerated() {
                let t = row.file!.totals
                out += "<tr><td class=\"n\">\(index + 1)</td><td>\(station(row.stationID))</td><td class=\"n\">\(t.stale)</td><td class=\"n\">\(t.inStockEnd)</td><td>\(row.date)</td></tr>\n"
            }
            if ranked.count > 30 { out += "<tr><td colspan=\"5\" class=\"none\">\(ranked.count - 30) \(h(w("more in the CSV", "个更多见 CSV")))</td></tr>\n" }
            out += "</table>\n"
        }
        ranking("rank-stale", w("Stations with the most stale parcels (滞留)", "滞留件最多的服务点"), { $0.stale })
        ranking("rank-stock", w("Stations with the most parcels in stock", "在库件最多的服务点"), { $0.inStockEnd })

        out += "<h2>\(h(w("Stations with no file", "未交统计文件的服务点")))</h2>\n"
        if missing.isEmpty {
            out += "<p class=\"none\" id=\"missing\">\(h(w("Every station sent a file for every day.", "每个服务点每天都已交文件。")))</p>\n"
        } else {
            out += "<table id=\"missing\"><tr><th>\(h(w("Day", "日期")))</th><th>\(h(w("Stations", "服务点")))</th></tr>\n"
            for day in days {
                let absent = missing.filter { $0.date == day }
                if absent.isEmpty { continue }
                out += "<tr class=\"bad\"><td>\(day)</td><td>\(absent.map { station($0.stationID) }.joined(separator: ", "))</td></tr>\n"
            }
            out += "</table>\n"
        }
        if !stationsFromList {
            out += "<p class=\"meta\">\(h(w("Expected stations: those seen in the period (give --stations FILE for the county's list).", "应交文件的服务点：本期出现过的服务点（用 --stations 文件给出全县名单）。")))</p>\n"
        } else if !unlisted.isEmpty {
            out += "<p class=\"meta\">\(h(w("Not on the station list, counted all the same:", "不在名单上但已计入："))) \(unlisted.map(station).joined(separator: ", "))</p>\n"
        }

        out += "<h2>\(h(w("Files that are not final", "当日未结束的文件")))</h2>\n"
        if notFinal.isEmpty {
            out += "<p class=\"none\" id=\"not-final\">\(h(w("None.", "无。")))</p>\n"
        } else {
            out += "<table id=\"not-final\"><tr><th>\(h(w("Day", "日期")))</th><th>\(h(w("Station", "服务点")))</th><th>\(h(w("Generated at", "生成时间")))</th></tr>\n"
            for row in notFinal { out += "<tr><td>\(row.date)</td><td>\(station(row.stationID))</td><td>\(h(row.file!.generatedAt))</td></tr>\n" }
            out += "</table>\n"
        }

        out += "<h2>\(h(w("Changed after upload", "上传后被改的文件")))</h2>\n"
        if changed.isEmpty {
            out += "<p class=\"none\" id=\"changed\">\(h(w("No closed day was rewritten.", "没有已结束的日子被改写。")))</p>\n"
        } else {
            out += "<table id=\"changed\"><tr><th>\(h(w("Day", "日期")))</th><th>\(h(w("Station", "服务点")))</th><th>\(h(w("Version", "版本")))</th><th>\(h(w("Generated at", "生成时间")))</th>\(counterHeads)<th>last_hash</th></tr>\n"
            for change in changed {
                for (label, entry) in [(w("first read", "首次读取"), change.before), (w("now", "现在"), change.after)] {
                    out += "<tr class=\"bad\"><td>\(change.date)</td><td>\(station(change.stationID))</td><td>\(h(label))\(entry.isFinal ? "" : " (" + h(w("not final", "未结束")) + ")")</td><td>\(h(entry.generatedAt))</td>\(numberCells(entry.totals))<td class=\"id\">\(h(String((entry.lastHash ?? "-").prefix(16))))</td></tr>\n"
                }
            }
            out += "</table>\n"
        }

        out += "<h2>\(h(w("Files not counted", "未计入的文件")))</h2>\n"
        if problems.isEmpty {
            out += "<p class=\"none\" id=\"problems\">\(h(w("None.", "无。")))</p>\n"
        } else {
            out += "<table id=\"problems\"><tr><th>\(h(w("File", "文件")))</th><th>\(h(w("Why", "原因")))</th><th>\(h(w("Detail", "详情")))</th></tr>\n"
            for problem in problems {
                out += "<tr class=\"bad\"><td>\(h(problem.file))</td><td>\(h(w.problem(problem.kind)))</td><td>\(h(problem.detail))</td></tr>\n"
            }
            out += "</table>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// Inbound and outbound bars per day, as inline SVG.
    func chartSVG(words w: RollupWords) -> String {
        let width = 960, height = 280, left = 56, right = 16, top = 16, bottom = 44
        let series = days.map { totals(of: $0) }
        let peak = max(1, series.map { max($0.inbound, $0.outbound) }.max() ?? 1)
        let scale = Self.niceCeiling(peak)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = Double(plotWidth) / Double(max(1, days.count))
        let bar = min(40.0, max(1.0, slot * 0.38))
        var svg = "<svg id=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(Self.escapeHTML(w("Inbound and outbound per day", "每日入库与出库")))\">\n"
        svg += "<style>text{font:11px \"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;fill:#5b6475}</style>\n"
        // Gridlines at whole fifths (or quarters of a 2×10ⁿ scale), so every label is exact.
        let ticks = String(scale).hasPrefix("2") ? 4 : 5
        for step in 0...ticks {
            let value = Self.f(Double(scale) * Double(step) / Double(ticks))
            let y = Double(top) + Double(plotHeight) * (1 - Double(step) / Double(ticks))
            svg += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(Self.f(y))\" y2=\"\(Self.f(y))\" stroke=\"#e3e7ee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(value)</text>\n"
        }
        let labelEvery = max(1, (days.count + 15) / 16)
        for (index, day) in days.enumerated() {
            let x = Double(left) + slot * Double(index) + slot * 0.1
            for (offset, value, color) in [(0.0, series[index].inbound, "#2b6cb0"), (bar, series[index].outbound, "#dd6b20")] {
                let barHeight = Double(plotHeight) * Double(value) / Double(scale)
                svg += "<rect x=\"\(Self.f(x + offset))\" y=\"\(Self.f(Double(top + plotHeight) - barHeight))\" width=\"\(Self.f(bar))\" height=\"\(Self.f(barHeight))\" fill=\"\(color)\"><title>\(day) \(value)</title></rect>"
            }
            if index % labelEvery == 0 {
                svg += "<text x=\"\(Self.f(x + bar))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(String(day.description.dropFirst(5)))</text>"
            }
            svg += "\n"
        }
        let legendY = height - 10
        svg += "<rect x=\"\(left)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"#2b6cb0\"/><text x=\"\(left + 14)\" y=\"\(legendY)\">\(Self.escapeHTML(w("inbound", "入库")))</text>"
        svg += "<rect x=\"\(left + 90)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"#dd6b20\"/><text x=\"\(left + 104)\" y=\"\(legendY)\">\(Self.escapeHTML(w("outbound", "出库")))</text>\n"
        return svg + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Int) -> Int {
        var power = 1
        while power <= value / 10 { power *= 10 }
        for step in [1, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    static func f(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Text for HTML element content and attribute values.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
