import Foundation
import Testing

/// SPEC §7 tamper evidence through the real binary: a journal edited with sqlite3 behind the agent's back.
@Suite("verify finds a tampered journal")
struct TamperTests {
    static let faketime = "/usr/bin/faketime"

    /// A station with 8 scans two days ago (a closed day: seq 1-8) and 8 today (open: seq 9-16), and the count
    /// files of both written by `export`.
    static func station(_ name: String) throws -> (directory: URL, environment: [String: String], steps: [AgentProcess.Result]) {
        let directory = try scratchDirectory(name)
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "tamper-station"
            timezone = "UTC"
            data_dir = "\(directory.path)/data"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        let environment = ["STATION_AGENT_CONFIG": config, "FAKETIME_DONT_FAKE_MONOTONIC": "1"]
        var steps: [AgentProcess.Result] = []
        let codes = ["SF1000000000001", "SF1000000000002", "78636098066239", "YT6900634716900"]
        for (index, code) in (codes + codes).enumerated() {
            steps.append(
                try AgentProcess.run(
                    faketime, ["-f", "-2d", AgentProcess.agentPath, "scan", code, index < 4 ? "--in" : "--out"],
                    environment: environment, removing: AgentProcess.testbedVariables))
        }
        for index in 0..<8 {
            let code = "JT00069683269\(index % 4)0"
            steps.append(try AgentProcess.agent(["scan", code, index < 4 ? "--in" : "--out"], environment: environment))
        }
        let twoDaysAgo = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-2 * 86_400)).prefix(10))
        steps.append(try AgentProcess.agent(["export", "--since", twoDaysAgo], environment: environment))
        return (directory, environment, steps)
    }

    @Test(
        "each tampering, on a closed and on an open day, is exit 3 naming the first bad seq",
        .enabled(if: FileManager.default.isExecutableFile(atPath: faketime), "needs faketime (make test installs it)"),
        .timeLimit(.minutes(5)),
        arguments: [
            ("deleted", "DELETE FROM events WHERE seq = 3;", "chain-missing", 3),
            ("deleted", "DELETE FROM events WHERE seq = 12;", "chain-missing", 12),
            ("code changed", "UPDATE events SET code = 'SF1000000000009' WHERE seq = 4;", "chain-changed", 4),
            ("code changed", "UPDATE events SET code = 'JT0006968326999' WHERE seq = 13;", "chain-changed", 13),
            ("outcome changed", "UPDATE events SET outcome = 'rejected', counted = 0 WHERE seq = 5;", "chain-changed", 5),
            ("outcome changed", "UPDATE events SET outcome = 'duplicate', counted = 0 WHERE seq = 14;", "chain-changed", 14),
            ("inserted", Self.insertCopy(of: 2), "chain-inserted", 17),
            ("inserted", Self.insertCopy(of: 10), "chain-inserted", 17),
            ("swapped", "UPDATE events SET seq = -1 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = -1;", "chain-reordered", 2),
            ("swapped", "UPDATE events SET seq = -1 WHERE seq = 10; UPDATE events SET seq = 10 WHERE seq = 11; UPDATE events SET seq = 11 WHERE seq = -1;", "chain-reordered", 10),
            ("tail cut", "DELETE FROM events WHERE seq > 6;", "chain-tail_cut", 7),
            ("tail cut", "DELETE FROM events WHERE seq > 14;", "chain-tail_cut", 15),
        ] as [(String, String, String, Int)])
    func tamperingIsFound(what: String, sql: String, kind: String, seq: Int) async throws {
        let name = "tamper-\(kind)-\(seq)-\(sql.utf8.count)"
        let run = try await offThePool { () -> (setup: [AgentProcess.Result], clean: AgentProcess.Result, edit: AgentProcess.Result, verify: AgentProcess.Result, json: AgentProcess.Result) in
            let (directory, environment, setup) = try Self.station(name)
            defer { try? FileManager.default.removeItem(at: directory) }
            let clean = try AgentProcess.agent(["verify"], environment: environment)
            let journal = directory.path + "/data/journal.sqlite3"
            let edit = try AgentProcess.run("/usr/bin/sqlite3", [journal, sql], removing: AgentProcess.testbedVariables)
            let verify = try AgentProcess.agent(["verify"], environment: environment)
            let json = try AgentProcess.agent(["verify", "--json"], environment: environment)
            return (setup, clean, edit, verify, json)
        }
        for step in run.setup { #expect(step.status == 0, "\(step.standardError)") }
        #expect(run.clean.status == 0, "before tampering: \(run.clean.standardOutput)")
        #expect(run.edit.status == 0, "\(run.edit.standardError)")
        #expect(run.verify.status == 3, "\(what): \(run.verify.standardOutput)")
        #expect(run.verify.standardOutput.contains(kind), "\(what): \(run.verify.standardOutput)")
        #expect(run.verify.standardOutput.contains("at seq \(seq):"), "\(what): \(run.verify.standardOutput)")
        let document = try #require(try AgentProcess.json(run.json.standardOutput) as? [String: Any])
        let problems = try #require(document["problems"] as? [[String: Any]])
        #expect(problems.contains { ($0["kind"] as? String) == kind }, "\(problems)")
    }

    /// A copy of event `seq` appended with a new seq, as someone adding a scan by hand would.
    static func insertCopy(of seq: Int) -> String {
        """
        INSERT INTO events (seq, code, raw, symbology, direction, outcome, carrier, carrier_candidates, device, role, \
        source, wall_ns, boot_id, monotonic_ns, clock_synced, effective_ns, counted, state_before, state_after) \
        SELECT 17, 'SF1000000000099', raw, symbology, direction, outcome, carrier, carrier_candidates, device, role, \
        source, wall_ns + 1, boot_id, monotonic_ns + 1, clock_synced, effective_ns + 1, counted, state_before, state_after \
        FROM events WHERE seq = \(seq);
        """
    }
}
