import ArgumentParser
import ParcelRules
import ScanJournal
import StationTime
#if canImport(Glibc)
import Glibc
#endif

/// `station-bench counts --events 10000000`: a journal of N events over a year, then the time of `station-agent
/// counts` for one day (the real command, end to end, as a supervisor runs it) and of the journal queries it makes.
///
/// The journal is created by the agent's own code (schema and triggers), then filled by `sqlite3` in one statement:
/// a recursive query writes every event with its outcome already decided, so the `stays` triggers run as they do for
/// scans. Parcels are received at a steady rate; 40 % are released after half a day, 30 % after 1 day, 15 % after 2,
/// 10 % after 4, 3 % after 10 days, 2 % never (those slots are rescans); releases before the first receipts are
/// unmatched releases.
struct CountsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counts", abstract: "Time `station-agent counts` for one day of a year-long journal of N events.")

    @Option(help: "Events in the journal.")
    var events = 10_000_000

    @Option(help: "Data directory (default: a new directory under /tmp, removed afterwards). An existing journal with events is reused.")
    var dataDir: String?

    @Option(help: "Runs of each measurement.")
    var runs = 5

    @Option(help: "The station-agent binary (default: beside station-bench).")
    var agent: String?

    @Option(help: "The sqlite3 program used to fill the journal.")
    var sqlite3 = "/usr/bin/sqlite3"

    func run() async throws {
        let directory = try dataDir ?? temporaryDirectory()
        defer { if dataDir == nil { removeJournal(in: directory); unlink(directory + "/station-agent.toml"); removeOutbox(directory) } }
        let zone = try StationTimeZone(named: "Asia/Shanghai")
        let start = zone.startOfDayNanos(LocalDate("2025-01-01")!)
        let yearNanos: Int64 = 365 * 86_400 * 1_000_000_000
        let step = yearNanos / Int64(events)

        let existing = (try? JournalReader(dataDirectory: directory).eventCount()) ?? 0
        if existing == 0 {
            let journal = try ScanJournal(dataDirectory: directory)
            await journal.close()
            let began = SystemClock.monotonicNanos()
            try fill(path: ScanJournal.path(dataDirectory: directory), start: start, step: step)
            print("journal built:     \(events) events over 365 days in \(format(seconds(since: began))) s (\(directory))")
        } else {
            print("journal reused:    \(existing) events (\(directory))")
        }
        let reader = try JournalReader(dataDirectory: directory)
        print("journal size:      \(format(Double(fileSize(ScanJournal.path(dataDirectory: directory))) / 1e9)) GB, \(try reader.eventCount()) events")

        // A day in the middle of the year (the worst case for a replay), and the last day.
        let config = directory + "/station-agent.toml"
        let toml = "station_id = \"bench\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory)\"\noutbox_dir = \"\(directory)/outbox\"\n"
        let fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = toml.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let agentPath = agent ?? (directoryOfExecutable() + "/station-agent")
        for date in ["2025-07-02", "2025-12-31"] {
            let day = LocalDate(date)!
            let range = zone.dayRangeNanos(day)
            var summaryTimes: [Double] = []
            var stockTimes: [Double] = []
            var dayEvents = 0
            var inStock = 0
            for _ in 0..<runs {
                var began = SystemClock.monotonicNanos()
                let summary = try reader.summary(of: day, in: zone)
                summaryTimes.append(seconds(since: began) * 1000)
                dayEvents = Int((summary.lastSeq ?? 0) - (summary.firstSeq ?? 0) + 1)
                began = SystemClock.monotonicNanos()
                inStock = try reader.stock(atNanos: range.upperBound, staleBeforeNanos: range.upperBound - 3 * 86_400_000_000_000).totals.inStockEnd
                stockTimes.append(seconds(since: began) * 1000)
            }
            var commandTimes: [Double] = []
            for _ in 0..<runs {
                let began = SystemClock.monotonicNanos()
                let status = spawnQuietly([agentPath, "counts", "--date", date, "--json", "--config", config])
                commandTimes.append(seconds(since: began) * 1000)
                if status != 0 { print("station-agent counts exited with \(status)"); throw ExitCode.failure }
            }
            print("\(date): \(dayEvents) events that day, \(inStock) parcels in stock at its end")
            print("  station-agent counts --date \(date) --json (process, end to end): median \(format(median(commandTimes))) ms, min \(format(commandTimes.min() ?? 0)) ms")
            print("  in process: day's events \(format(median(summaryTimes))) ms, stock at the day's end \(format(median(stockTimes))) ms (medians of \(runs))")
        }
    }

    func fill(path: String, start: Int64, step: Int64) throws {
        let pairs = events / 2
        // Release delay per lane (q mod 100), in pairs of events: multiples of 100 so the mapping is one to one.
        let perDay = Double(pairs) / 365
        func lane(_ days: Double) -> Int { max(1, Int((days * perDay / 100).rounded())) }
        let delays = "CASE WHEN j < 40 THEN \(lane(0.5)) WHEN j < 70 THEN \(lane(1)) WHEN j < 85 THEN \(lane(2)) WHEN j < 95 THEN \(lane(4)) ELSE \(lane(10)) END"
        func code(_ p: String) -> String {
            "CASE (\(p)) % 3 WHEN 0 THEN 'SF1' || printf('%012d', \(p)) WHEN 1 THEN '73' || printf('%012d', \(p)) ELSE 'QQ' || printf('%012d', \(p)) END"
        }
        func carrier(_ p: String) -> String { "CASE (\(p)) % 3 WHEN 0 THEN 'SF' WHEN 1 THEN 'ZTO' ELSE 'UNKNOWN' END" }
        let sql = """
            PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; PRAGMA cache_size = -400000;
            BEGIN;
            WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < \(pairs * 2 - 1)),
            e AS (SELECT i, i / 2 AS q, i % 2 AS odd, (i / 2) % 100 AS j FROM k),
            d AS (SELECT i, q, odd, j, CASE WHEN odd = 1 AND j < 98 THEN q - 100 * (\(delays)) END AS p FROM e)
            INSERT INTO events (code, raw, direction, outcome, carrier, carrier_candidates, device, role, source, wall_ns,
                boot_id, monotonic_ns, clock_synced, effective_ns, counted, state_before, state_after, verdict)
            SELECT c, CAST(c AS BLOB), dir, outcome, car, car, dev, dev_role, 'usb', t, 'bench', i, 1, t,
                CASE WHEN outcome IN ('received', 'released', 'released_unmatched') THEN 1 ELSE 0 END,
                CASE outcome WHEN 'received' THEN 'absent' WHEN 'released' THEN 'in_stock' WHEN 'released_unmatched' THEN 'absent' ELSE 'in_stock' END,
                CASE outcome WHEN 'received' THEN 'in_stock' WHEN 'rescan' THEN 'in_stock' ELSE 'released' END,
                CASE outcome WHEN 'released' THEN 'ok' WHEN 'released_unmatched' THEN 'not_in_stock' END
            FROM (
                SELECT i, \(start) + i * \(step) AS t,
                    CASE WHEN odd = 0 THEN \(code("q")) WHEN j >= 98 THEN \(code("q")) WHEN p < 0 THEN 'U' || printf('%013d', q) ELSE \(code("p")) END AS c,
                    CASE WHEN odd = 0 OR j >= 98 THEN 'in' ELSE 'out' END AS dir,
                    CASE WHEN odd = 0 THEN 'received' WHEN j >= 98 THEN 'rescan' WHEN p < 0 THEN 'released_unmatched' ELSE 'released' END AS outcome,
                    CASE WHEN odd = 0 OR j >= 98 THEN \(carrier("q")) WHEN p < 0 THEN 'UNKNOWN' ELSE \(carrier("p")) END AS car,
                    CASE WHEN odd = 0 OR j >= 98 THEN 'desk' ELSE 'counter' END AS dev,
                    CASE WHEN odd = 0 OR j >= 98 THEN 'inbound' ELSE 'outbound' END AS dev_role
                FROM d);
            COMMIT;
            PRAGMA journal_mode = WAL;
            """
        let status = spawnQuietly([sqlite3, path, sql])
        guard status == 0 else {
            print("\(sqlite3) failed with status \(status)")
            throw ExitCode.failure
        }
    }
}

func seconds(since start: UInt64) -> Double { Double(SystemClock.monotonicNanos() - start) / 1e9 }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : 0
}

func directoryOfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return "." }
    let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
}

func removeOutbox(_ directory: String) {
    _ = spawnQuietly(["/bin/rm", "-rf", directory + "/outbox"])
}

/// Runs a program with stdout discarded (stderr kept) and returns its exit status.
func spawnQuietly(_ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var cArguments = arguments.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, arguments[0], &actions, nil, &cArguments, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xFF
}
