import Foundation
import Testing

/// `verify` never says OK after finding a difference, and sees every file of the outbox (issue #10, defect 7).
@Suite("verify reports every difference")
struct VerifyFindingsTests {
    static func rewriteChecksums(_ outbox: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".json") || $0.hasSuffix(".csv") }.sorted()
        var text = ""
        for name in names {
            let sum = try AgentProcess.run("/usr/bin/sha256sum", [outbox + "/" + name])
            text += String(sum.standardOutput.prefix(64)) + "  " + name + "\n"
        }
        try text.write(toFile: outbox + "/SHA256SUMS", atomically: true, encoding: .utf8)
    }

    @Test("an edited file of today is exit 3; a file older than the journal is a note; other stations and future days are reported",
        .timeLimit(.minutes(2)))
    func openDay() throws {
        let directory = try scratchDirectory("verify-open")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "verify-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        func agent(_ arguments: [String]) throws -> AgentProcess.Result { try AgentProcess.agent(arguments + ["--config", config]) }
        let outbox = directory.path + "/data/outbox"
        #expect(try agent(["scan", "SF1000000000001", "--in"]).status == 0)
        #expect(try agent(["export"]).status == 0)
        #expect(try agent(["verify"]).status == 0)

        // Events since the last refresh: the file is older than the journal, which is normal between refreshes.
        #expect(try agent(["scan", "SF1000000000002", "--in"]).status == 0)
        let stale = try agent(["verify"])
        #expect(stale.status == 0, "\(stale.standardOutput)")
        #expect(stale.standardOutput.contains("older-than-journal"), "\(stale.standardOutput)")

        // As new as the journal, but edited (with a recomputed SHA256SUMS): a problem, never OK.
        #expect(try agent(["export"]).status == 0)
        let csv = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox).first { $0.hasSuffix(".csv") })
        let original = try String(contentsOfFile: outbox + "/" + csv, encoding: .utf8)
        try original.replacingOccurrences(of: ",SF,2,", with: ",SF,9,").write(toFile: outbox + "/" + csv, atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: outbox + "/" + csv, encoding: .utf8) != original)
        try Self.rewriteChecksums(outbox)
        let edited = try agent(["verify"])
        #expect(edited.status == 3, "\(edited.standardOutput)")
        #expect(!edited.standardOutput.contains("OK: every count file matches"), "\(edited.standardOutput)")
        #expect(edited.standardOutput.contains("differs"), "\(edited.standardOutput)")
        try original.write(toFile: outbox + "/" + csv, atomically: true, encoding: .utf8)
        try Self.rewriteChecksums(outbox)
        #expect(try agent(["verify"]).status == 0)

        // Files of the station's former id: reported by verify, warned by doctor.
        let json = csv.replacingOccurrences(of: ".csv", with: ".json")
        try FileManager.default.copyItem(atPath: outbox + "/" + json, toPath: outbox + "/" + json.replacingOccurrences(of: "verify-station", with: "old-id"))
        try Self.rewriteChecksums(outbox)
        let other = try agent(["verify"])
        #expect(other.status == 3, "\(other.standardOutput)")
        #expect(other.standardOutput.contains("other-station") && other.standardOutput.contains("'old-id'"), "\(other.standardOutput)")
        let doctor = try agent(["doctor"])
        #expect(doctor.standardOutput.contains("WARN outbox stations") && doctor.standardOutput.contains("'old-id'"), "\(doctor.standardOutput)")
        try FileManager.default.removeItem(atPath: outbox + "/" + json.replacingOccurrences(of: "verify-station", with: "old-id"))

        // A count file for a day that has not begun.
        try FileManager.default.copyItem(atPath: outbox + "/" + json, toPath: outbox + "/verify-station_2030-06-01.json")
        try Self.rewriteChecksums(outbox)
        let future = try agent(["verify"])
        #expect(future.status == 3, "\(future.standardOutput)")
        #expect(future.standardOutput.contains("not-begun") && future.standardOutput.contains("has not begun"), "\(future.standardOutput)")
    }

    @Test("an open day's file older than the journal is compared as of the event it counted to: an edit under it is exit 3",
        .timeLimit(.minutes(2)))
    func olderFileStillChecked() throws {
        let directory = try scratchDirectory("verify-older")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "older-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        func agent(_ arguments: [String]) throws -> AgentProcess.Result { try AgentProcess.agent(arguments + ["--config", config]) }
        let outbox = directory.path + "/data/outbox"

        // A box where nothing ran but a manual scan: no outbox yet, nothing wrong.
        #expect(try agent(["scan", "SF1000000000011", "--in"]).status == 0)
        let fresh = try agent(["verify"])
        #expect(fresh.status == 0, "\(fresh.standardOutput)\(fresh.standardError)")
        #expect(!fresh.standardOutput.contains("cannot list the outbox"), "\(fresh.standardOutput)")

        #expect(try agent(["scan", "SF1000000000012", "--in"]).status == 0)
        #expect(try agent(["export"]).status == 0)
        let csv = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox).first { $0.hasSuffix(".csv") })
        let json = csv.replacingOccurrences(of: ".csv", with: ".json")
        // Later events, among them a release and an undo of a receipt the file counted: the file is older than
        // the journal, and as of its last event it is exact.
        let undo = try agent(["scan", "#STATION:UNDO", "--in"])
        #expect(undo.standardOutput.contains("undid=2(SF1000000000012)"), "\(undo.standardOutput)")
        #expect(try agent(["scan", "SF1000000000011", "--out"]).status == 0)
        #expect(try agent(["scan", "SF1000000000013", "--in"]).status == 0)
        let older = try agent(["verify"])
        #expect(older.status == 0, "\(older.standardOutput)")
        #expect(older.standardOutput.contains("it matches the journal as of seq 2"), "\(older.standardOutput)")
        #expect(older.standardOutput.contains("OK: every count file matches the journal."), "\(older.standardOutput)")

        // The CSV's TOTAL edited, SHA256SUMS recomputed: a problem, though the file is older than the journal.
        let original = try String(contentsOfFile: outbox + "/" + csv, encoding: .utf8)
        try original.replacingOccurrences(of: ",TOTAL,2,", with: ",TOTAL,7,").write(toFile: outbox + "/" + csv, atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: outbox + "/" + csv, encoding: .utf8) != original)
        try Self.rewriteChecksums(outbox)
        let editedCSV = try agent(["verify"])
        #expect(editedCSV.status == 3, "\(editedCSV.standardOutput)")
        #expect(editedCSV.standardOutput.contains("differs") && editedCSV.standardOutput.contains("as of seq 2"), "\(editedCSV.standardOutput)")
        #expect(!editedCSV.standardOutput.contains("OK"), "\(editedCSV.standardOutput)")
        try original.write(toFile: outbox + "/" + csv, atomically: true, encoding: .utf8)

        // The JSON's inbound edited: a problem. Its last_seq removed: a problem (it cannot hide behind "older").
        let originalJSON = try String(contentsOfFile: outbox + "/" + json, encoding: .utf8)
        try originalJSON.replacingOccurrences(of: "\"inbound\": 2,", with: "\"inbound\": 5,")
            .write(toFile: outbox + "/" + json, atomically: true, encoding: .utf8)
        try Self.rewriteChecksums(outbox)
        #expect(try agent(["verify"]).status == 3)
        let noSeq = originalJSON.replacingOccurrences(of: "\"last_seq\": 2,", with: "\"last_seq\": null,")
        #expect(noSeq != originalJSON)
        try noSeq.write(toFile: outbox + "/" + json, atomically: true, encoding: .utf8)
        try Self.rewriteChecksums(outbox)
        let withoutSeq = try agent(["verify"])
        #expect(withoutSeq.status == 3, "\(withoutSeq.standardOutput)")
        #expect(withoutSeq.standardOutput.contains("as of seq 0"), "\(withoutSeq.standardOutput)")
        try originalJSON.write(toFile: outbox + "/" + json, atomically: true, encoding: .utf8)
        try Self.rewriteChecksums(outbox)
        #expect(try agent(["verify"]).status == 0)

        // Files written before the day's first event (the agent's start on an idle morning: zeros, last_seq
        // null), then scans: as of no event of the day, they are exact; not a problem.
        let idleConfig = directory.appendingPathComponent("idle.toml").path
        try "station_id = \"idle-station\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/idle\"\n"
            .write(toFile: idleConfig, atomically: false, encoding: .utf8)
        // The agent writes today's files at its start; stopped by SIGTERM after 4 s (AgentProcess.run's timeout).
        _ = try AgentProcess.agent(["run", "--config", idleConfig], environment: ["STATION_AGENT_CONFIG": ""], timeout: 4)
        let idleOutbox = directory.path + "/idle/outbox"
        let idleFiles = (try? FileManager.default.contentsOfDirectory(atPath: idleOutbox)) ?? []
        #expect(idleFiles.contains { $0.hasSuffix(".json") }, "\(idleFiles)")
        #expect(try AgentProcess.agent(["scan", "SF1000000000021", "--in", "--config", idleConfig]).status == 0)
        let idle = try AgentProcess.agent(["verify", "--config", idleConfig])
        #expect(idle.status == 0, "\(idle.standardOutput)")
        #expect(idle.standardOutput.contains("it matches the journal as of seq 0"), "\(idle.standardOutput)")
    }

    @Test("doctor warns about a station id that is a generic image's host name", arguments: ["raspberrypi", "localhost", "orangepi", "debian"])
    func genericStationID(id: String) throws {
        let directory = try scratchDirectory("verify-generic-\(id)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try "station_id = \"\(id)\"\ntimezone = \"Asia/Shanghai\"\ndata_dir = \"\(directory.path)/data\"\n"
            .write(toFile: config, atomically: false, encoding: .utf8)
        let doctor = try AgentProcess.agent(["doctor", "--config", config])
        #expect(doctor.standardOutput.contains("WARN station id") && doctor.standardOutput.contains("set station_id"), "\(doctor.standardOutput)")
        let named = directory.appendingPathComponent("named.toml").path
        try "station_id = \"yq-xiaohu\"\ndata_dir = \"\(directory.path)/data\"\n".write(toFile: named, atomically: false, encoding: .utf8)
        #expect(!(try AgentProcess.agent(["doctor", "--config", named]).standardOutput.contains("station id")))
    }
}
