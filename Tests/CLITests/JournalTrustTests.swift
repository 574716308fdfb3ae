import Foundation
import Synchronization
import Testing

/// Starts every command line at once and waits for all of them (bounded), like operators and a technician at one box.
func runAtOnce(_ commands: [[String]], environment: [String: String], timeout: Double = 60) throws -> [AgentProcess.Result] {
    // Threads of their own: `AgentProcess.run` reads the pipes on Dispatch's pool, which must stay free.
    let results = Mutex<[Int: AgentProcess.Result]>([:])
    let finished = DispatchSemaphore(value: 0)
    for (index, command) in commands.enumerated() {
        Thread.detachNewThread {
            let result =
                (try? AgentProcess.agent(command, environment: environment, timeout: timeout))
                ?? AgentProcess.Result(status: -1, standardOutput: "", standardError: "could not start")
            results.withLock { $0[index] = result }
            finished.signal()
        }
    }
    for _ in commands { _ = finished.wait(timeout: .now() + timeout + 20) }
    return results.withLock { all in
        commands.indices.map { all[$0] ?? AgentProcess.Result(status: -1, standardOutput: "", standardError: "timed out") }
    }
}

/// The `seq=N` of a `scan` outcome line.
func seq(of line: String) -> Int? {
    line.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("seq=") }.flatMap { Int($0.dropFirst(4)) }
}

@Suite("The journal under concurrency and at its trust boundary")
struct JournalTrustTests {
    /// Issue #10.5: creating and migrating a new journal is safe under any number of openers.
    @Test("50 scans started at once on a new data directory are all accepted, 20 times over", .timeLimit(.minutes(10)))
    func parallelFirstScans() async throws {
        for round in 0..<20 {
            let directory = try scratchDirectory("parallel-first-\(round)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let environment = ["STATION_AGENT_DATA_DIR": directory.path + "/data", "STATION_AGENT_CONFIG": ""]
            var commands = (0..<50).map { ["scan", "SF1" + String(100_000_000_000 + $0), $0 % 2 == 0 ? "--in" : "--out"] }
            // A technician's checks at the same moment must not disturb them.
            commands.insert(["verify"], at: 10)
            commands.insert(["doctor"], at: 30)
            let all = commands
            let results = try await offThePool { try runAtOnce(all, environment: environment) }
            var seqs: [Int] = []
            for (command, result) in zip(all, results) where command[0] == "scan" {
                #expect(result.status == 0, "round \(round): \(command): \(result.standardError)")
                if let seq = seq(of: result.standardOutput) { seqs.append(seq) }
            }
            #expect(seqs.sorted() == Array(1...50), "round \(round): \(seqs.sorted())")
            for result in results {
                #expect(!result.standardError.contains("database is locked"), "round \(round): \(result.standardError)")
            }
        }
    }

    /// Issue #10.6: the duplicate window is decided in acceptance order on the boot's monotonic clock, so a
    /// process whose scan was read earlier but committed later is a duplicate, never a second count.
    @Test("20 releases of one parcel started at once count once: 1 released, 19 duplicates, 20 times over",
        .timeLimit(.minutes(10)))
    func parallelReleasesOfOneCode() async throws {
        for round in 0..<20 {
            let directory = try scratchDirectory("parallel-out-\(round)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let environment = ["STATION_AGENT_DATA_DIR": directory.path + "/data", "STATION_AGENT_CONFIG": ""]
            let code = "SF1234567890123"
            let received = try await offThePool { try AgentProcess.agent(["scan", code, "--in"], environment: environment) }
            #expect(received.status == 0)
            let results = try await offThePool {
                try runAtOnce(Array(repeating: ["scan", code, "--out"], count: 20), environment: environment)
            }
            let outcomes = results.map { String($0.standardOutput.split(separator: " ").first ?? "failed: \($0.standardError)") }
            #expect(outcomes.filter { $0 == "released" }.count == 1, "round \(round): \(outcomes)")
            #expect(outcomes.filter { $0 == "duplicate" }.count == 19, "round \(round): \(outcomes)")
            let counts = try await offThePool { try AgentProcess.agent(["counts", "--json"], environment: environment) }
            let document = try #require(try AgentProcess.json(counts.standardOutput) as? [String: Any])
            let totals = try #require(document["totals"] as? [String: Int])
            #expect(totals["outbound"] == 1 && totals["duplicates_suppressed"] == 19 && totals["repeat_outbound"] == 0)
        }
    }

    /// Issue #16.2: a planted link is never followed, whoever runs the command.
    @Test("a journal, WAL or SHM that is a symbolic link is refused and its target left alone")
    func plantedSymlinksAreRefused() throws {
        for planted in ["journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"] {
            let directory = try scratchDirectory("planted-link-\(planted.utf8.count)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let data = directory.path + "/data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let environment = ["STATION_AGENT_DATA_DIR": data, "STATION_AGENT_CONFIG": ""]
            if planted != "journal.sqlite3" {
                #expect(try AgentProcess.agent(["scan", "SF1122334455667", "--in"], environment: environment).status == 0)
                try? FileManager.default.removeItem(atPath: data + "/" + planted)
            }
            let target = directory.path + "/target-of-\(planted)"
            try FileManager.default.createSymbolicLink(atPath: data + "/" + planted, withDestinationPath: target)
            let scan = try AgentProcess.agent(["scan", "SF1122334455668", "--in"], environment: environment)
            #expect(scan.status != 0, "\(planted): \(scan.standardOutput)")
            #expect(scan.standardError.contains("symbolic link"), "\(planted): \(scan.standardError)")
            #expect(!FileManager.default.fileExists(atPath: target), "\(planted): the link's target was created")
            for command in [["scans", "--json"], ["verify"]] {
                let result = try AgentProcess.agent(command, environment: environment)
                #expect(result.status != 0, "\(planted) \(command): \(result.standardOutput)")
                #expect(!FileManager.default.fileExists(atPath: target), "\(planted) \(command): target created")
            }
        }
    }

    /// Issue #16.3: the schema a file has is compared with the one its version must have before anything runs.
    @Test(
        "a planted trigger or a recursive view is refused by scan, verify and doctor, in words and at once",
        arguments: [
            "CREATE TRIGGER evil AFTER INSERT ON events BEGIN UPDATE events SET outcome = 'rejected' WHERE seq = NEW.seq; END;",
            "DROP TRIGGER stays_receipt; DROP TRIGGER stays_release; DROP TRIGGER stays_undo; DROP TRIGGER stays_time; "
                + "ALTER TABLE events RENAME TO old_events; CREATE VIEW events AS WITH RECURSIVE r(x) AS "
                + "(SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS seq FROM r;",
        ])
    func plantedSchemaIsRefused(sql: String) throws {
        let directory = try scratchDirectory("planted-schema-\(sql.utf8.count)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.path + "/data"
        let environment = ["STATION_AGENT_DATA_DIR": data, "STATION_AGENT_CONFIG": ""]
        #expect(try AgentProcess.agent(["scan", "SF1122334455667", "--in"], environment: environment).status == 0)
        let planted = try AgentProcess.run("/usr/bin/sqlite3", [data + "/journal.sqlite3", sql])
        #expect(planted.status == 0, "\(planted.standardError)")
        let scan = try AgentProcess.agent(["scan", "SF1122334455668", "--in"], environment: environment)
        #expect(scan.status != 0 && scan.standardOutput.isEmpty, "\(scan.standardOutput)")
        #expect(scan.standardError.contains("does not have the schema"), "\(scan.standardError)")
        for command in [["verify"], ["doctor"], ["scans", "--json"], ["counts"]] {
            let result = try AgentProcess.agent(command, environment: environment, timeout: 20)
            #expect(result.status != 0 && result.status != 15, "\(command) ended \(result.status): \(result.standardOutput)")
            #expect(
                (result.standardOutput + result.standardError).contains("does not have the schema"),
                "\(command): \(result.standardOutput) \(result.standardError)")
        }
        let rows = try AgentProcess.run("/usr/bin/sqlite3", [data + "/journal.sqlite3", "SELECT COUNT(*) FROM stays;"])
        #expect(rows.standardOutput == "1\n", "the planted schema changed the journal: \(rows.standardOutput)")
    }

    /// Issue #16.2/#16.5: root's manual entry writes as the data directory's owner; the journal is 0640.
    @Test(
        "root's scan in the service user's data directory writes its files as that user, mode 0640 whatever the umask",
        .enabled(if: geteuid() == 0, "needs root: it runs scan as root in a directory another user owns"))
    func rootWritesAsTheOwner() throws {
        let directory = try scratchDirectory("root-owner")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        #expect(chown(data, 65_534, 65_534) == 0)
        let environment = ["STATION_AGENT_DATA_DIR": data, "STATION_AGENT_CONFIG": ""]
        let scan = try AgentProcess.run(
            "/bin/sh", ["-c", "umask 000; exec \"$0\" scan SF1122334455667 --in", AgentProcess.agentPath],
            environment: environment, removing: AgentProcess.testbedVariables)
        #expect(scan.status == 0, "\(scan.standardError)")
        for name in ["journal.sqlite3"] {
            var info = stat()
            #expect(stat(data + "/" + name, &info) == 0)
            #expect(info.st_uid == 65_534, "\(name) belongs to \(info.st_uid)")
            #expect(info.st_mode & 0o777 == 0o640, "\(name) has mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        // A data directory root owns stays root's; one that belongs to nobody is written as nobody: no root files.
        let listing = try AgentProcess.run("/usr/bin/find", [data, "-user", "root"])
        #expect(listing.standardOutput.isEmpty, "root-owned files: \(listing.standardOutput)")
    }
}
