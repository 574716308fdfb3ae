import ArgumentParser
import ParcelRules
import ScanJournal
import StationTime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `station-bench burst`: N scanners each scanning R codes a second for S seconds, through the
/// agent's scan path (rules, group-committing journal, commit before acceptance), as the device
/// manager drives it: each scanner's codes are handed over one after the other, scanners in
/// parallel. Reports accepted, lost (must be 0), commits/s and scan-to-durable latency.
///
/// The latency runs from the moment a code is "read" (the monotonic time the USB transfer would
/// carry) to the commit that accepts it. Run it once with the journal on the real disk and once on
/// tmpfs (`--data-dir /dev/shm/...`): the second leaves out the fsync, i.e. the agent's own share.
struct BurstBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burst", abstract: "Scanners scanning at a steady rate through the rules and the journal; latency and loss.")

    @Option(help: "Scanners.") var scanners = 8
    @Option(help: "Codes per second per scanner.") var rate = 20
    @Option(help: "Seconds.") var seconds = 60
    @Option(help: "Data directory (default: a new directory under /tmp; use /dev/shm/... to leave out the fsync).")
    var dataDir: String?
    @Flag(help: "One JSON document instead of the table.") var json = false

    func run() async throws {
        let directory = dataDir ?? "/tmp/station-bench-burst-\(getpid())"
        defer { if dataDir == nil { _ = system("rm -rf '\(directory)'") } }
        let journal = try ScanJournal(dataDirectory: directory)
        let clock = SystemClock()
        let tally = Tally()
        let start = SystemClock.monotonicNanos()
        let interval = UInt64(1_000_000_000 / rate)
        let total = UInt64(seconds) * 1_000_000_000
        let commitsBefore = journal.statistics.commits
        // The disk's own cost of durability, measured beside the burst: a 4 KB write and fdatasync, 20 times a
        // second, on the journal's file system.
        let probeStop = Atomic<Bool>(false)
        let probe = Task { await runOnDedicatedThread { fdatasyncProbe(directory: directory, stop: probeStop) } }
        await withTaskGroup(of: Void.self) { group in
            for scanner in 0..<scanners {
                // The reader: codes appear at the scanner's pace whether or not the journal keeps up.
                let (codes, feed) = AsyncStream<(String, UInt64)>.makeStream()
                group.addTask {
                    var n = 0
                    while true {
                        let due = start + UInt64(n) * interval + UInt64(scanner) * interval / UInt64(scanners)
                        if due >= start + total { break }
                        let now = SystemClock.monotonicNanos()
                        if due > now { try? await Task.sleep(for: .nanoseconds(Int64(due - now))) }
                        let digits = String(scanner * 10_000_000 + n)
                        feed.yield(("SF" + String(repeating: "0", count: 13 - digits.count) + digits, SystemClock.monotonicNanos()))
                        tally.produced.add(1, ordering: .relaxed)
                        n += 1
                    }
                    feed.finish()
                }
                // The device task: one scan after the other into the journal.
                group.addTask {
                    for await (code, readAt) in codes {
                        let now = clock.now()
                        let reading = ClockReading(
                            wallNanos: now.wallNanos - Int64(now.monotonicNanos - readAt), monotonicNanos: readAt,
                            bootID: now.bootID, isSynchronized: now.isSynchronized)
                        let scan = JournalScan(raw: code, device: "scanner-\(scanner)", role: .inbound, usb: nil, at: reading)
                        if (try? await journal.submit(scan)) != nil {
                            let latency = Double(SystemClock.monotonicNanos() - readAt) / 1e6
                            tally.latencies.withLock { $0.append(latency) }
                        }
                    }
                }
            }
        }
        probeStop.store(true, ordering: .relaxed)
        let syncs = await probe.value.sorted()
        let elapsed = Double(SystemClock.monotonicNanos() - start) / 1e9
        let commits = journal.statistics.commits - commitsBefore
        await journal.close()
        let accepted = tally.latencies.withLock { $0.sorted() }
        let count = tally.produced.load(ordering: .relaxed)
        func percentile(_ p: Double) -> Double {
            accepted.isEmpty ? 0 : accepted[min(accepted.count - 1, Int(Double(accepted.count) * p))]
        }
        // The resident memory after the burst: this process holds the same journal writer, rules
        // and (per scanner) reading path as the agent.
        let rss = readText("/proc/self/status")?.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        let result = BurstResult(
            scanners: scanners, rate: rate, seconds: seconds, dataDirectory: directory, produced: count,
            accepted: accepted.count, lost: count - accepted.count, commitsPerSecond: Double(commits) / elapsed,
            scansPerCommit: commits == 0 ? 0 : Double(accepted.count) / Double(commits),
            p50: percentile(0.5), p99: percentile(0.99), max: accepted.last ?? 0, rssKB: rss,
            syncP50: percentileOf(syncs, 0.5), syncP99: percentileOf(syncs, 0.99), syncs: syncs.count)
        print(json ? result.json : result.table)
        if result.lost > 0 { throw ExitCode(1) }
    }
}

/// What the scanners produced and the journal accepted, shared by their tasks.
final class Tally: Sendable {
    let latencies = Mutex<[Double]>([])
    let produced = Atomic<Int>(0)
}

struct BurstResult {
    let scanners, rate, seconds: Int
    let dataDirectory: String
    let produced, accepted, lost: Int
    let commitsPerSecond, scansPerCommit, p50, p99, max: Double
    let rssKB: Int
    /// The disk's fdatasync latency in the same run (ms), and how many were measured.
    let syncP50, syncP99: Double
    let syncs: Int

    func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? twoDecimals(a / b) : "-" }

    var table: String {
        """
        burst: \(scanners) scanners x \(rate) codes/s x \(seconds) s, journal in \(dataDirectory)
          produced \(produced)   accepted \(accepted)   lost \(lost)
          commits/s \(twoDecimals(commitsPerSecond))   scans per commit \(twoDecimals(scansPerCommit))
          scan-to-durable latency: p50 \(twoDecimals(p50)) ms   p99 \(twoDecimals(p99)) ms   max \(twoDecimals(max)) ms
          the disk's fdatasync (4 KB, \(syncs) in the same run): p50 \(twoDecimals(syncP50)) ms   p99 \(twoDecimals(syncP99)) ms
          scan-to-durable / fdatasync: p50 \(ratio(p50, syncP50))x   p99 \(ratio(p99, syncP99))x
          resident memory after the burst: \(rssKB) kB
        """
    }

    var json: String {
        "{\"scanners\":\(scanners),\"rate\":\(rate),\"seconds\":\(seconds),\"produced\":\(produced),\"accepted\":\(accepted),\"lost\":\(lost),"
            + "\"commits_per_second\":\(twoDecimals(commitsPerSecond)),\"scans_per_commit\":\(twoDecimals(scansPerCommit)),"
            + "\"latency_ms\":{\"p50\":\(twoDecimals(p50)),\"p99\":\(twoDecimals(p99)),\"max\":\(twoDecimals(max))},\"rss_kb\":\(rssKB),"
            + "\"fdatasync_ms\":{\"p50\":\(twoDecimals(syncP50)),\"p99\":\(twoDecimals(syncP99)),\"count\":\(syncs)}}"
    }
}

/// The `p` quantile of sorted values (0 when empty).
func percentileOf(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Writes 4 KB and fdatasyncs it, 20 times a second, until `stop`: the latencies in ms.
func fdatasyncProbe(directory: String, stop: borrowing Atomic<Bool>) -> [Double] {
    let path = directory + "/.fdatasync-probe"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return [] }
    defer {
        close(fd)
        unlink(path)
    }
    let block = [UInt8](repeating: 0x5A, count: 4096)
    var latencies: [Double] = []
    var offset: off_t = 0
    while !stop.load(ordering: .relaxed) {
        let started = SystemClock.monotonicNanos()
        let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard written == block.count, fdatasync(fd) == 0 else { break }
        latencies.append(Double(SystemClock.monotonicNanos() - started) / 1e6)
        offset = (offset + 4096) % (4096 * 256)
        usleep(50_000)
    }
    return latencies
}

/// Two decimals, for the tables.
func twoDecimals(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = abs(hundredths % 100)
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
