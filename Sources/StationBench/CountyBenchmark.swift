import ArgumentParser
import CountReports
import Foundation
import StationTestSupport
import StationTime
import StoreClient

/// `station-bench county --stations 2000 --days 31 --out DIR`: a county's count files, made by the agent's own
/// count-file code (`CountDocument`) from seeded numbers, in SPEC §8's layout, for timing `station-agent rollup`
/// over a folder; with `--s3-bucket` and the store's settings, the same files are put in an S3 store instead (for
/// timing `rollup --from s3://…`). The rollup itself is then run and timed as a supervisor runs it:
/// `/usr/bin/time -v station-agent rollup --from DIR --since D --out OUT`.
struct CountyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "county", abstract: "Write a county's count files (a folder, or an S3 store) for timing `station-agent rollup`.")

    @Option(help: "Stations in the county.")
    var stations = 2000

    @Option(help: "Days of count files, ending with --last.")
    var days = 31

    @Option(help: "The last day (default: yesterday in Asia/Shanghai).")
    var last: String?

    @Option(help: "Folder to write (SPEC §8 layout: date=D/station=S/).")
    var out: String?

    @Option(help: "S3 bucket to put the files in instead of a folder.")
    var s3Bucket: String?
    @Option(help: "Key prefix in the bucket.")
    var s3Prefix = "county"
    @Option(help: "S3 endpoint, e.g. http://127.0.0.1:8080.")
    var s3Endpoint = ""
    @Option(help: "S3 region.")
    var s3Region = "us-east-1"
    @Option(help: "S3 access key id.")
    var s3AccessKey = ""
    @Option(help: "File holding the S3 secret key.")
    var s3SecretFile = ""
    @Option(help: "Parallel PUTs.")
    var clients = 8

    func validate() throws {
        guard stations > 0, days > 0, days <= 400 else { throw ValidationError("--stations must be positive and --days 1…400") }
        guard (out == nil) != (s3Bucket == nil) else { throw ValidationError("give --out DIR or --s3-bucket B (with --s3-endpoint, --s3-access-key, --s3-secret-file)") }
    }

    func run() async throws {
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let lastDay: LocalDate
        if let last {
            guard let day = LocalDate(last) else { throw ValidationError("--last: not a date YYYY-MM-DD: \(last)") }
            lastDay = day
        } else {
            lastDay = zone.localDateTime(utcNanos: SystemClock().now().wallNanos).date.adding(days: -1)
        }
        let period = (0..<days).map { lastDay.adding(days: $0 - days + 1) }
        let started = SystemClock.monotonicNanos()
        let fixture = CountyFixture(stationCount: stations, days: period, seed: 2026_1204)
        if let out {
            try fixture.write(to: out)
            print("county: \(stations) stations × \(days) days (\(period[0])…\(lastDay)) in \(out), \(fixture.rows.count * 3) files, \(seconds(since: started)) s")
            return
        }
        guard let s3Bucket else { return }
        let secret = try String(contentsOfFile: s3SecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let target = StoreTarget(
            kind: .s3(bucket: s3Bucket, prefix: s3Prefix, endpoint: s3Endpoint, region: s3Region,
                      accessKeyID: s3AccessKey, virtualHostStyle: false),
            secret: StoreSecret(secret))
        let rows = Array(fixture.rows.values)
        let workers = max(1, clients)
        let failed = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                let client = try StoreClient(target: target, options: StoreClient.Options())
                group.addTask {
                    var failures = 0
                    for index in stride(from: worker, to: rows.count, by: workers) {
                        let row = rows[index]
                        let folder = "date=\(row.date)/station=\(row.station)/"
                        let json = Array(row.document.json.utf8), csv = Array(row.document.csv.utf8)
                        do {
                            _ = try client.put(folder + row.document.jsonFileName, body: json, contentType: "application/json")
                            _ = try client.put(folder + row.document.csvFileName, body: csv, contentType: "text/csv")
                        } catch {
                            failures += 1
                            if failures <= 3 { print("county: \(folder): \(error)") }
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        print("county: \(stations) stations × \(days) days (\(period[0])…\(lastDay)) in s3://\(s3Bucket)/\(s3Prefix), \(rows.count * 2) objects, \(failed) failed, \(seconds(since: started)) s")
        if failed > 0 { throw ExitCode(1) }
    }

    private func seconds(since start: UInt64) -> String {
        String(format: "%.1f", Double(SystemClock.monotonicNanos() - start) / 1e9)
    }
}
