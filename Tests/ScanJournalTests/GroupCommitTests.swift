import ParcelRules
import ScanJournal
import StationTime
import StationTestSupport
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    @Test(.timeLimit(.minutes(1)))
    func concurrentSubmittersShareCommitsAndGetConsecutiveSeqs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
        let clock = TestClock(wallNanos: 1_780_000_000_000_000_000)
        let producers = 8
        let perProducer = 50
        let accepted = try await withThrowingTaskGroup(of: [AcceptedScan].self) { group in
            for producer in 0..<producers {
                group.addTask {
                    try await withThrowingTaskGroup(of: AcceptedScan.self) { scans in
                        for index in 0..<perProducer {
                            let code = "GC\(producer)X" + String(100_000 + index)
                            scans.addTask {
                                try await journal.submit(
                                    JournalScan(raw: code, device: "dev-\(producer)", role: .inbound, at: clock.now()))
                            }
                        }
                        var results: [AcceptedScan] = []
                        for try await result in scans { results.append(result) }
                        return results
                    }
                }
            }
            var all: [AcceptedScan] = []
            for try await results in group { all += results }
            return all
        }
        let total = producers * perProducer
        #expect(accepted.count == total)
        #expect(accepted.map(\.seq).sorted() == Array(1...Int64(total)))
        #expect(Set(accepted.map(\.decision.code)).count == total)
        let statistics = journal.statistics
        #expect(statistics.acceptedScans == total)
        #expect(statistics.commits < total, "\(statistics.commits) commits for \(total) scans: no grouping")
        // The journal holds each scan exactly once.
        let reader = try journal.makeReader()
        #expect(try reader.eventCount() == Int64(total))
        #expect(try reader.integrity().isOK)
        await journal.close()
    }
}

@Suite("Crash safety")
struct CrashTests {
    /// SIGKILLs the crash child at random moments while it commits a burst; after every restart each scan it had
    /// reported ACCEPTED is in the journal exactly once, with its seq, and the journal is intact.
    @Test(.timeLimit(.minutes(3)))
    func acceptedScansSurviveSIGKILL() async throws {
        let bench = productsDirectory() + "/station-bench"
        try #require(
            runProcess([bench, "--help"]).status == 0,
            "\(bench) is missing: build it first (swift build --product station-bench)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var acceptedSoFar: [String: Int64] = [:]
        var generator = SystemRandomNumberGenerator()
        let started = SystemClock.monotonicNanos()
        var rounds = 0
        var killedMidBurst = 0
        while rounds < 20 && SystemClock.monotonicNanos() - started < 60_000_000_000 {
            rounds += 1
            let child = try ChildProcess([bench, "crash-child", "--data-dir", directory.dataDirectory, "--max-batch", "40"])
            var output = ""
            // Wait for the journal to be open, then send a burst and kill at a random moment.
            while !output.contains("READY"), let chunk = child.read(timeoutMilliseconds: 10_000) { output += chunk }
            #expect(output.contains("READY"), "round \(rounds): the child did not start: \(output)")
            var burst = ""
            for index in 0..<400 { burst += "CRASH\(100 + rounds)N\(100_000 + index) in\n" }
            child.write(burst)
            let killAfter = UInt64.random(in: 1_000_000...300_000_000, using: &generator)
            let deadline = SystemClock.monotonicNanos() + killAfter
            while SystemClock.monotonicNanos() < deadline {
                if let chunk = child.read(timeoutMilliseconds: 1) { output += chunk }
            }
            child.kill()
            while let chunk = child.read(timeoutMilliseconds: 1_000) { output += chunk }
            #expect(child.wait() == 128 + 9)
            let acceptedThisRound = output.split(separator: "\n").filter { $0.hasPrefix("ACCEPTED ") }.count
            if acceptedThisRound > 0 && acceptedThisRound < 400 { killedMidBurst += 1 }
            for line in output.split(separator: "\n") where line.hasPrefix("ACCEPTED ") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let seq = Int64(parts[1]) else { continue }
                acceptedSoFar[String(parts[2])] = seq
            }
            // "Restart": open the journal as the agent would, then check every accepted scan.
            let journal = try ScanJournal(dataDirectory: directory.dataDirectory)
            let reader = try journal.makeReader()
            #expect(try reader.integrity().isOK)
            for (code, seq) in acceptedSoFar {
                let events = try reader.events(code: code)
                #expect(events.map(\.seq) == [seq], "round \(rounds): \(code) reported ACCEPTED as \(seq)")
            }
            await journal.close()
        }
        #expect(rounds >= 5)
        #expect(!acceptedSoFar.isEmpty, "no scan was ever accepted before the kill: the test proved nothing")
        #expect(killedMidBurst >= 3, "only \(killedMidBurst) of \(rounds) kills landed while scans were committing")
    }
}
