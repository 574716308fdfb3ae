import Foundation
import Testing

/// `counts`, `export` and `verify` through the real binary. The scans are made three days in the past (the wall
/// clock shifted by `faketime`), so their day is closed and its files final. (Moving events with `sqlite3` would
/// now be tampering: the hash chain covers their times.)
@Suite("counts, export and verify commands")
struct CountCommandTests {
    struct Station {
        let directory: URL
        let config: String
        var outbox: String { directory.path + "/data/outbox" }

        init(_ name: String) throws {
            directory = try scratchDirectory(name)
            config = directory.appendingPathComponent("station-agent.toml").path
            try """
                station_id = "cli-station"
                station_name = "测试站"
                timezone = "Asia/Shanghai"
                data_dir = "\(directory.path)/data"
                """.write(toFile: config, atomically: false, encoding: .utf8)
        }

        func agent(_ arguments: [String]) throws -> AgentProcess.Result {
            try AgentProcess.agent(arguments + ["--config", config])
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// The business day, in Asia/Shanghai, of an instant.
    static func shanghaiDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime (make test installs it)"),
        .timeLimit(.minutes(2)))
    func verifyCatchesAnEditedCountFileAndAWrongChecksumLine() throws {
        let station = try Station("counts-cli")
        defer { station.remove() }
        for (code, direction) in [("SF1000000000001", "--in"), ("SF1000000000002", "--in"), ("78000000000001", "--in"), ("SF1000000000001", "--out"), ("1234", "--in")] {
            let result = try AgentProcess.run(
                "/usr/bin/faketime", ["-f", "-3d", AgentProcess.agentPath, "scan", code, direction, "--config", station.config],
                environment: ["FAKETIME_DONT_FAKE_MONOTONIC": "1"], removing: AgentProcess.testbedVariables)
            #expect(result.status == 0, "\(result.standardError)")
        }
        let past = Self.shanghaiDate(Date().addingTimeInterval(-3 * 86_400))

        let export = try station.agent(["export", "--since", "2000-01-01"])
        #expect(export.status == 0, "\(export.standardError)")
        #expect(export.standardOutput.contains("cli-station_\(past).json, .csv (final)"))
        let jsonPath = station.outbox + "/cli-station_\(past).json"
        let csvPath = station.outbox + "/cli-station_\(past).csv"
        let csv = try String(contentsOfFile: csvPath, encoding: .utf8)
        #expect(csv.contains("cli-station,\(past),SF,2,1,1,0,0,0,0,0,0,\n"))
        #expect(csv.contains("cli-station,\(past),ZTO,1,0,1,0,0,0,0,0,0,\n"))
        #expect(csv.hasSuffix("cli-station,\(past),TOTAL,3,1,2,0,0,0,0,0,0,1\n"))

        // `counts --json` is the file's document (only generated_at differs).
        let counts = try station.agent(["counts", "--date", past, "--json"])
        #expect(counts.status == 0)
        let file = try String(contentsOfFile: jsonPath, encoding: .utf8)
        func withoutGeneratedAt(_ text: String) -> String {
            text.split(separator: "\n").filter { !$0.contains("\"generated_at\"") }.joined(separator: "\n")
        }
        #expect(withoutGeneratedAt(counts.standardOutput) == withoutGeneratedAt(file))
        let table = try station.agent(["counts", "--date", past])
        #expect(table.standardOutput.contains("TOTAL"))
        #expect(table.standardOutput.contains("测试站 (cli-station)"))

        var verify = try station.agent(["verify"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")

        // An edited count file: its checksum no longer matches, and recomputing finds the changed number.
        try file.replacingOccurrences(of: "\"inbound\": 3,", with: "\"inbound\": 4,")
            .write(toFile: jsonPath, atomically: false, encoding: .utf8)
        verify = try station.agent(["verify", "--json"])
        #expect(verify.status == 3)
        let report = try #require(try AgentProcess.json(verify.standardOutput) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        let problems = try #require(report["problems"] as? [[String: Any]])
        #expect(Set(problems.compactMap { $0["kind"] as? String }) == ["differs", "checksum-mismatch"])
        #expect(problems.allSatisfy { $0["file"] as? String == "cli-station_\(past).json" })

        // `export` rewrites it; then a wrong SHA256SUMS line alone is caught.
        #expect(try station.agent(["export", "--date", past]).status == 0)
        #expect(try station.agent(["verify"]).status == 0)
        let sumsPath = station.outbox + "/SHA256SUMS"
        let sums = try String(contentsOfFile: sumsPath, encoding: .utf8)
        let broken = sums.split(separator: "\n").map { line in
            line.hasSuffix(".csv") ? String(repeating: "f", count: 64) + line.dropFirst(64) : String(line)
        }.joined(separator: "\n") + "\n"
        try broken.write(toFile: sumsPath, atomically: false, encoding: .utf8)
        verify = try station.agent(["verify"])
        #expect(verify.status == 3)
        #expect(verify.standardOutput.contains("checksum-mismatch"))
        #expect(verify.standardOutput.contains("cli-station_\(past).csv"))
        #expect(verify.standardError.contains("verify found 1 problem(s)"))

        // `export --to DIR`: the files and DIR's own SHA256SUMS, checkable with sha256sum.
        let stick = station.directory.path + "/usb"
        try FileManager.default.createDirectory(atPath: stick, withIntermediateDirectories: true)
        let toStick = try station.agent(["export", "--since", "2000-01-01", "--to", stick])
        #expect(toStick.status == 0, "\(toStick.standardError)")
        let check = try AgentProcess.run("/bin/sh", ["-c", "cd '\(stick)' && sha256sum -c --strict SHA256SUMS"])
        #expect(check.status == 0, "\(check.standardOutput)\(check.standardError)")
        #expect(try station.agent(["export", "--to", station.directory.path + "/nowhere"]).status == 1)
        #expect(try station.agent(["export", "--date", "2026-13-01"]).status == 2)
    }
}
