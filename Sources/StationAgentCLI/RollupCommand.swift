import HumanWords
import ArgumentParser
import CountReports
import CountRollup
import ParcelRules
import StationAgent
import StationConfig
import StationTime
import StoreClient
import SystemSupport
import TextEscaping

#if canImport(Glibc)
import Glibc
#endif

/// `station-agent rollup --from DIR|s3://BUCKET/PREFIX [--date D | --since D] [--out DIR] [--stations FILE] [--json]`
/// (SPEC §2, §9): many stations' count files into one county table (CSV for Excel) and one page (HTML).
struct RollupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollup",
        abstract: "For supervisors: merge many stations' count files into one county table (CSV) and one page (HTML).",
        discussion: """
            --from is a folder (the store's date=…/station=…/ layout, files side by side, or stations' outboxes \
            copied into one place) or s3://BUCKET/PREFIX, read with the [upload] settings of the configuration \
            (endpoint, region, access_key_id, secret_file). Writes county_<from>_<to>.csv and .html into --out \
            (default: the current folder) and remembers the final files read in rollup-state.tsv there. Default \
            day: today in the configuration's time zone.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("A folder of count files, or s3://BUCKET/PREFIX.", valueName: "dir|url"))
    var from: String

    @Option(help: ArgumentHelp("One business day, YYYY-MM-DD.", valueName: "date"))
    var date: String?

    @Option(help: ArgumentHelp("Every day from this one to today.", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Where the CSV, the HTML and the state go (created if missing).", valueName: "dir"))
    var out: String = "."

    @Option(help: ArgumentHelp("The stations that should send files: one station id per line (# comments).", valueName: "file"))
    var stations: String?

    @Flag(help: "The county table as one JSON document on stdout.")
    var json = false

    /// The longest period one run covers.
    static let maxDays = 400

    func validate() throws {
        if date != nil && since != nil { throw ValidationError("give --date or --since, not both") }
        if let date { _ = try DateOption.parse(date, option: "--date") }
        if let since { _ = try DateOption.parse(since, option: "--since") }
    }

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let zone = try ScansCommand.zone(configuration)
        let now = SystemClock.wallNanos()
        let today = zone.businessDay(utcNanos: now)
        let first = try (date ?? since).map { try DateOption.parse($0, option: date != nil ? "--date" : "--since") } ?? today
        let last = since != nil ? today : first
        try DateOption.requireBegun(first, option: date != nil ? "--date" : "--since", today: today, zone: zone)
        guard last.daysSinceEpoch - first.daysSinceEpoch < Int64(Self.maxDays) else {
            throw CLIError.usage(Words("--since \(first): \(last.daysSinceEpoch - first.daysSinceEpoch + 1) days; one roll-up covers at most \(Self.maxDays) (run it per year)"))
        }
        var listed: [String]?
        if let stations {
            guard case .success(let bytes) = SystemFile.read(stations, limit: 16 << 20) else {
                throw CLIError.usage(Words("--stations \(stations): cannot be read (\(SystemErrno(errno)))"))
            }
            let parsed = Rollup.parseStationList(String(decoding: bytes, as: UTF8.self))
            if let bad = parsed.bad.first {
                throw CLIError.usage(Words("--stations \(stations): \"\(Escaping.text(bad))\" is not a station id (1-64 of A-Z a-z 0-9 . _ -, one per line)"))
            }
            listed = parsed.stations
        }
        let workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let input: RollupInput
        let source: String
        if from.hasPrefix("s3://") {
            let store = try Self.storeSource(from, configuration: configuration)
            source = store.location
            do { input = try store.read(days: first...last) } catch { throw CLIError.runtime("\(error)") }
        } else if from.hasPrefix("http://") || from.hasPrefix("https://") {
            throw CLIError.usage(Words("--from \(from): a plain HTTP target cannot be listed; copy its folder to this machine (rsync, scp) and give that folder, or give s3://BUCKET/PREFIX"))
        } else {
            source = from
            do { input = try FolderSource(path: from, workers: workers).read(days: first...last) } catch {
                throw CLIError.usage(Words("--from \(from): \(error)"))
            }
        }
        try Self.makeFolder(out)
        var (state, skipped) = RollupState.load(directory: out)
        if skipped > 0 { writeStandardError("warning: \(skipped) damaged lines of \(out)/\(RollupState.fileName) skipped\n") }
        let report = Rollup.build(days: first...last, input: input, stations: listed, state: &state)
        let generatedAt = zone.rfc3339(utcNanos: now)
        let language = Self.language(configuration)
        let csvPath = out + "/" + report.baseName + ".csv"
        let htmlPath = out + "/" + report.baseName + ".html"
        do {
            try AtomicFile.write(Array(report.csv.utf8), to: csvPath, mode: 0o644)
            try AtomicFile.write(Array(report.html(language: language, generatedAt: generatedAt, source: source).utf8), to: htmlPath, mode: 0o644)
            try state.save(directory: out)
        } catch {
            throw CLIError.runtime(Words("\(error)"))
        }
        if json {
            print(report.json(generatedAt: generatedAt, source: source), terminator: "")
        } else {
            print(Self.summary(report, language: language, source: source, csvPath: csvPath, htmlPath: htmlPath))
        }
    }

    /// The store of `--from s3://BUCKET/PREFIX`, reached with the endpoint, region, key and secret of `[upload]`.
    static func storeSource(_ url: String, configuration: StationConfiguration) throws -> StoreSource {
        guard let upload = configuration.upload, case .s3 = upload.destination else {
            throw CLIError.usage(Words("--from \(url): reading the county store needs the S3 settings of [upload] (endpoint, region, access_key_id, secret_file) in the configuration (\(configuration.source ?? "built-in defaults")): give --config with them"))
        }
        let rest = url.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        guard (3...63).contains(bucket.utf8.count),
            bucket.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D })
        else {
            throw CLIError.usage(Words("--from \(url): no valid bucket name (3-63 of a-z 0-9 . -), as in s3://county-counts/yuxian"))
        }
        var reading = upload
        reading.destination = .s3(bucket: bucket, prefix: prefix)
        reading.url = url
        let secret: StoreSecret
        do { secret = try UploadSetup.readSecret(upload.secretFile) } catch {
            throw CLIError.usage(Words("configuration error: \(error)"))
        }
        let target = UploadSetup.target(reading, secret: secret)
        do { _ = try StoreClient(target: target) } catch { throw CLIError.usage(Words("configuration error: \(error)")) }
        return StoreSource(location: "s3://\(bucket)" + (prefix.isEmpty ? "" : "/" + prefix), workers: 8) { () throws(StoreError) in
            try StoreClient(target: target)
        }
    }

    static func makeFolder(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw CLIError.runtime(Words("--out \(path): cannot be created (\(SystemErrno(errno)))"))
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CLIError.usage(Words("--out \(path): not a folder"))
        }
    }

    /// SPEC §2: the configured `language`, else the locale (``HumanLanguage``).
    static func language(_ configuration: StationConfiguration) -> RollupLanguage {
        HumanLanguage.resolve(config: configuration, environment: ProcessEnvironment.current) == .zh ? .chinese : .english
    }

    /// What a supervisor reads in the terminal: the period's totals and what needs looking at.
    static func summary(_ report: RollupReport, language: RollupLanguage, source: String, csvPath: String, htmlPath: String) -> String {
        let zh = language == .chinese
        let t = report.periodTotals
        let period = report.from == report.to ? report.from.description : "\(report.from) – \(report.to)"
        var lines: [String] = []
        lines.append(zh
            ? "县级汇总 \(period)，来源 \(Escaping.text(source))：\(report.stations.count) 个服务点，\(report.counted.count) 个统计文件已计入"
            : "county roll-up \(period) from \(Escaping.text(source)): \(report.stations.count) stations, \(report.counted.count) count files counted")
        lines.append(zh
            ? "  入库 \(t.inbound) · 出库 \(t.outbound) · 在库 \(t.inStockEnd) · 滞留 \(t.stale)（\(report.to)）"
            : "  inbound \(t.inbound) · outbound \(t.outbound) · in stock \(t.inStockEnd) · stale \(t.stale) (\(report.to))")
        if !report.missing.isEmpty {
            let names = report.missing.prefix(10).map { "\($0.stationID) \($0.date)" }.joined(separator: ", ")
            lines.append(zh ? "  未交文件：\(report.missing.count)（\(names)\(report.missing.count > 10 ? " …" : "")）"
                : "  no file: \(report.missing.count) station-days (\(names)\(report.missing.count > 10 ? ", …" : ""))")
        }
        if !report.notFinal.isEmpty {
            lines.append(zh ? "  当日未结束的文件：\(report.notFinal.count)" : "  not final: \(report.notFinal.count) files")
        }
        for change in report.changed {
            let before = change.before.totals, after = change.after.totals
            lines.append(zh
                ? "  上传后被改：\(change.stationID) \(change.date)：入库 \(before.inbound)→\(after.inbound)，出库 \(before.outbound)→\(after.outbound)，在库 \(before.inStockEnd)→\(after.inStockEnd)"
                : "  CHANGED AFTER UPLOAD: \(change.stationID) \(change.date): inbound \(before.inbound)→\(after.inbound), outbound \(before.outbound)→\(after.outbound), in stock \(before.inStockEnd)→\(after.inStockEnd)")
        }
        for problem in report.problems {
            lines.append((zh ? "  未计入：" : "  not counted: ") + Escaping.text(problem.file) + ": " + Escaping.text(problem.detail))
        }
        if !report.unlisted.isEmpty {
            lines.append(zh ? "  不在名单上：\(report.unlisted.joined(separator: ", "))" : "  not on the station list: \(report.unlisted.joined(separator: ", "))")
        }
        lines.append((zh ? "已写入 " : "wrote ") + csvPath + ", " + htmlPath)
        return lines.joined(separator: "\n")
    }
}
