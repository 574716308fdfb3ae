import ArgumentParser
import ParcelRules
import ScanJournal
import StationTime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `station-bench`: measurements and test helpers for the journal, kept out of the agent's binary.
@main
struct StationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station-bench",
        abstract: "Journal and count-file benchmarks, and the crash-test child.",
        subcommands: [JournalBenchmark.self, BurstBenchmark.self, AgentBenchmark.self, CountsBenchmark.self, CountyBenchmark.self, DecodeBenchmark.self, CameraBenchmark.self, CrashChild.self])
}

/// `station-bench journal --scans N --producers P`: a burst from concurrent producers, measured end to end.
struct JournalBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Submit a burst of scans from concurrent producers to a fresh journal and report throughput.")

    @Option(help: "Scans in the burst.")
    var scans = 10_000

    @Option(help: "Concurrent producers (think: USB devices).")
    var producers = 8

    @Flag(help: "Each producer waits for every scan before the next (one in flight per producer) instead of a burst.")
    var sequential = false

    @Option(help: "Data directory (default: a new directory under /tmp, removed afterwards).")
    var dataDir: String?

    func validate() throws {
        guard scans > 0, producers > 0 else { throw ValidationError("--scans and --producers must be positive") }
    }

    func run() async throws {
        let directory = try dataDir ?? temporaryDirectory()
        defer { if dataDir == nil { removeJournal(in: directory) } }
        let journal = try ScanJournal(
            dataDirectory: directory, options: JournalOptions(maximumBacklog: scans + 1, maximumBatch: scans))
        let clock = SystemClock()
        let start = SystemClock.monotonicNanos()
        let latencies = await withTaskGroup(of: [UInt64].self) { group in
            for producer in 0..<producers {
                group.addTask {
                    if sequential {
                        var values: [UInt64] = []
                        for index in stride(from: producer, to: scans, by: producers) {
                            let code = "BENCH" + String(100_000_000 + index)
                            let scan = JournalScan(
                                raw: code + "\r", device: "bench-\(producer)", role: .inbound, at: clock.now())
                            let submitted = SystemClock.monotonicNanos()
                            guard (try? await journal.submit(scan)) != nil else { continue }
                            values.append(SystemClock.monotonicNanos() - submitted)
                        }
                        return values
                    }
                    // Each producer fires its share at once, like a device draining its buffer after a stall.
                    return await withTaskGroup(of: UInt64?.self) { scansGroup in
                        for index in stride(from: producer, to: scans, by: producers) {
                            scansGroup.addTask {
                                let code = "BENCH" + String(100_000_000 + index)
                                let scan = JournalScan(
                                    raw: code + "\r", device: "bench-\(producer)", role: .inbound, at: clock.now())
                                let submitted = SystemClock.monotonicNanos()
                                guard (try? await journal.submit(scan)) != nil else { return nil }
                                return SystemClock.monotonicNanos() - submitted
                            }
                        }
                        var values: [UInt64] = []
                        for await value in scansGroup { if let value { values.append(value) } }
                        return values
                    }
                }
            }
            var all: [UInt64] = []
            for await values in group { all += values }
            return all
        }
        let elapsed = Double(SystemClock.monotonicNanos() - start) / 1e9
        let statistics = journal.statistics
        await journal.close()
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        print("scans submitted:   \(scans) from \(producers) producers (\(sequential ? "one in flight each" : "burst"))")
        print("scans accepted:    \(latencies.count)")
        print("elapsed:           \(format(elapsed)) s")
        print("accepted scans/s:  \(format(Double(latencies.count) / elapsed))")
        print("commits:           \(statistics.commits)")
        print("commits/s:         \(format(Double(statistics.commits) / elapsed))")
        print("scans per commit:  \(format(Double(statistics.acceptedScans) / Double(max(1, statistics.commits))))")
        print("submit→accepted:   p50 \(format(percentile(0.5))) ms, p99 \(format(percentile(0.99))) ms, "
            + "max \(format(Double(sorted.last ?? 0) / 1e6)) ms")
        if latencies.count != scans { throw ExitCode.failure }
    }
}

/// `station-bench crash-child --data-dir D`: the crash test's victim. Reads `CODE in|out` lines from stdin, submits
/// each at once, and prints `ACCEPTED <seq> <code>` (flushed) after its commit, so the test knows exactly what was
/// reported accepted before it sends SIGKILL.
struct CrashChild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-child", abstract: "Accept scans from stdin lines and report each commit (crash test).")

    @Option(help: "Data directory of the journal.")
    var dataDir: String

    @Option(help: "Most scans per commit (small values make more commits to interrupt).")
    var maxBatch = 2_000

    func run() async throws {
        let journal = try ScanJournal(dataDirectory: dataDir, options: JournalOptions(maximumBatch: maxBatch))
        let clock = SystemClock()
        let output = OutputLock()
        print("READY")
        fflush(nil)
        await withTaskGroup(of: Void.self) { group in
            while let line = readLine() {
                let parts = line.split(separator: " ")
                guard let code = parts.first else { continue }
                let role: DeviceRole = parts.count > 1 && parts[1] == "out" ? .outbound : .inbound
                let scan = JournalScan(raw: String(code), device: "crash", role: role, at: clock.now())
                group.addTask {
                    do {
                        let accepted = try await journal.submit(scan)
                        output.mutex.withLock { _ in
                            print("ACCEPTED \(accepted.seq) \(accepted.decision.code)")
                            fflush(nil)
                        }
                    } catch {
                        output.mutex.withLock { _ in
                            print("FAILED \(code) \(error)")
                            fflush(nil)
                        }
                    }
                }
            }
        }
        await journal.close()
    }
}

func temporaryDirectory() throws -> String {
    var template = Array("/tmp/station-bench-XXXXXX".utf8CString)
    guard let result = mkdtemp(&template) else { throw ValidationError("cannot create a temporary directory") }
    return String(cString: result)
}

func removeJournal(in directory: String) {
    for suffix in ["", "-wal", "-shm"] { unlink(directory + "/journal.sqlite3" + suffix) }
    rmdir(directory)
}

func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return String(scaled)
}

/// Serialises whole lines on stdout between concurrent submitters.
final class OutputLock: Sendable {
    let mutex = Mutex(())
}
