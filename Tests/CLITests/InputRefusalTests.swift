import Foundation
import Testing

/// Every input a user can give is answered or refused in words (issue #10), through the real binary.
@Suite("inputs are answered or refused in words")
struct InputRefusalTests {
    struct Station {
        let directory: URL
        let config: String

        init(_ name: String, extra: String = "") throws {
            directory = try scratchDirectory(name)
            config = directory.appendingPathComponent("station-agent.toml").path
            try """
                station_id = "input-station"
                timezone = "Asia/Shanghai"
                data_dir = "\(directory.path)/data"
                \(extra)
                """.write(toFile: config, atomically: false, encoding: .utf8)
        }

        func agent(_ arguments: [String], environment: [String: String] = [:]) throws -> AgentProcess.Result {
            try AgentProcess.agent(arguments + ["--config", config], environment: environment, timeout: arguments.first == "run" ? 4 : 30)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static let devices = """

        [[devices]]
        name = "rk"
        vendor_id = "0c2e"
        role = "inbound"

        [[devices]]
        name = "ck"
        vendor_id = "05e0"
        role = "outbound"

        [[devices]]
        name = "mobile"
        vendor_id = "1eab"
        role = "switchable"
        """

    // MARK: defect 1: a broken configuration is never the defaults

    @Test("a directory or a damaged file as --config: exit 2 naming it, doctor FAIL, run refuses", .timeLimit(.minutes(1)))
    func brokenConfiguration() throws {
        let directory = try scratchDirectory("input-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let torn = directory.appendingPathComponent("torn.toml").path
        try Data([0, 0, 0] + Array("station_id = \"x\"\n".utf8)).write(to: URL(fileURLWithPath: torn))
        let middle = directory.appendingPathComponent("middle.toml").path
        try Data(Array("station_id = \"good\"\n".utf8) + [0] + Array("\ndata_dir = \"/etc\"\n".utf8))
            .write(to: URL(fileURLWithPath: middle))
        for (path, why) in [(directory.path + "/", "is a directory"), (torn, "NUL byte at line 1"), (middle, "NUL byte at line 2")] {
            for command in [["counts"], ["scans"], ["devices"]] {
                let result = try AgentProcess.agent(command + ["--config", path])
                #expect(result.status == 2, "\(command) \(path): \(result.standardOutput)\(result.standardError)")
                #expect(result.standardError.contains(path) && result.standardError.contains(why), "\(result.standardError)")
            }
            let doctor = try AgentProcess.agent(["doctor", "--config", path])
            #expect(doctor.status == 3, "\(doctor.standardOutput)")
            #expect(doctor.standardOutput.hasPrefix("FAIL configuration") && doctor.standardOutput.contains(why), "\(doctor.standardOutput)")
            let run = try AgentProcess.agent(["run", "--config", path], timeout: 10)
            #expect(run.status == 2, "\(run.standardError)")
            #expect(run.standardError.contains(why), "\(run.standardError)")
        }
    }

    @Test("an unquoted Chinese value and an unsafe STATION_AGENT_DATA_DIR are refused in words", .timeLimit(.minutes(1)))
    func unquotedValueAndUnsafeEnvironment() throws {
        let station = try Station("input-quote", extra: "station_name = 小湖村")
        defer { station.remove() }
        let result = try station.agent(["counts"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("write station_name = \"小湖村\""), "\(result.standardError)")
        let link = station.directory.appendingPathComponent("etc-link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc")
        for value in ["/etc", link, "/root/.ssh"] {
            // No configuration file at all: the defaults, with the data directory from the environment.
            let run = try AgentProcess.run(
                AgentProcess.agentPath, ["doctor"], environment: ["STATION_AGENT_DATA_DIR": value],
                removing: AgentProcess.testbedVariables + ["STATION_AGENT_CONFIG"])
            #expect(run.standardOutput.contains("STATION_AGENT_DATA_DIR"), "\(value): \(run.standardOutput)")
            #expect(run.status == 3)
        }
        let linked = try Station("input-link", extra: "outbox_dir = \"\(link)/outbox\"")
        defer { linked.remove() }
        let refused = try linked.agent(["counts"])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("leads to /etc/outbox"), "\(refused.standardError)")
    }

    // MARK: defects 2 and 3: every date is answered or refused; a day that has not begun has no file

    @Test("dates far off, before 2000 and after today are refused with exit 2, never a crash", .timeLimit(.minutes(2)))
    func dates() throws {
        let station = try Station("input-dates")
        defer { station.remove() }
        #expect(try station.agent(["scan", "SF1000000000001", "--in"]).status == 0)
        for arguments in [
            ["counts", "--date", "0202-12-03"], ["counts", "--date", "0001-01-01"], ["counts", "--date", "1999-12-31"],
            ["export", "--since", "0001-01-01"], ["export", "--date", "0001-01-01"], ["scans", "--date", "0001-01-01"],
        ] {
            let result = try station.agent(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.standardError)")
            #expect(result.standardError.contains("before 2000-01-01"), "\(arguments): \(result.standardError)")
        }
        for arguments in [
            ["counts", "--date", "9999-12-31"], ["counts", "--date", "2030-06-01"], ["export", "--date", "2030-06-01"],
            ["export", "--since", "9999-12-31"], ["counts", "--date", "2262-04-12", "--json"],
        ] {
            let result = try station.agent(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.standardError)")
            #expect(result.standardError.contains("has not begun"), "\(arguments): \(result.standardError)")
        }
        let outbox = station.directory.path + "/data/outbox"
        let written = (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []
        #expect(!written.contains { $0.contains("2030") || $0.contains("9999") }, "\(written)")
        // `scans` answers any later date it can read: nothing happened then.
        for date in ["9999-12-31", "2262-04-12", "2030-06-01"] {
            let scans = try station.agent(["scans", "--date", date, "--json"])
            #expect(scans.status == 0, "\(date): \(scans.standardError)")
            #expect(scans.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || scans.standardOutput.contains("[]"),
                "\(scans.standardOutput)")
        }
        #expect(try station.agent(["counts", "--date", "2000-01-01"]).status == 0)
        #expect(try station.agent(["export", "--since", "2000-01-01"]).status == 0)
    }

    // MARK: defect 4: manual entry follows the device's role and mode

    @Test("scan --device: the device's role and mode decide; a contradicting direction is refused", .timeLimit(.minutes(1)))
    func manualEntryFollowsTheDevice() throws {
        let station = try Station("input-device", extra: Self.devices)
        defer { station.remove() }
        let wrongOut = try station.agent(["scan", "SF1000000000001", "--out", "--device", "rk"])
        #expect(wrongOut.status == 2)
        #expect(wrongOut.standardError.contains("its role is inbound"), "\(wrongOut.standardError)")
        let wrongIn = try station.agent(["scan", "SF1000000000001", "--in", "--device", "ck"])
        #expect(wrongIn.status == 2)
        #expect(wrongIn.standardError.contains("its role is outbound"), "\(wrongIn.standardError)")
        // Nothing was recorded by the refusals.
        let none = try station.agent(["scans", "--json"])
        #expect(try (AgentProcess.json(none.standardOutput) as? [Any])?.isEmpty ?? true, "\(none.standardOutput)")

        let received = try station.agent(["scan", "SF1000000000001", "--device", "rk"])
        #expect(received.status == 0 && received.standardOutput.hasPrefix("received "), "\(received.standardOutput)\(received.standardError)")
        let released = try station.agent(["scan", "SF1000000000001", "--out", "--device", "ck"])
        #expect(released.status == 0 && released.standardOutput.hasPrefix("released "), "\(released.standardOutput)\(released.standardError)")

        // A switchable device follows its mode: after #STATION:OUT, --in is refused naming the mode.
        #expect(try station.agent(["scan", "#STATION:OUT", "--device", "mobile"]).status == 0)
        let contradicting = try station.agent(["scan", "SF1000000000002", "--in", "--device", "mobile"])
        #expect(contradicting.status == 2)
        #expect(contradicting.standardError.contains("now in outbound mode"), "\(contradicting.standardError)")
        let followed = try station.agent(["scan", "SF1000000000002", "--device", "mobile"])
        #expect(followed.standardOutput.hasPrefix("released_unmatched "), "\(followed.standardOutput)\(followed.standardError)")

        let events = try #require(try AgentProcess.json(try station.agent(["scans", "--json"]).standardOutput) as? [[String: Any]])
        #expect(events.map { $0["direction"] as? String ?? "-" } == ["in", "out", "-", "out"], "\(events)")

        // Without --device a direction is required, and the usage line says so.
        let missing = try station.agent(["scan", "SF1000000000003"])
        #expect(missing.status == 2 && missing.standardError.contains("--in"), "\(missing.standardError)")
        let help = try AgentProcess.agent(["scan", "--help"])
        #expect(help.standardOutput.contains("station-agent scan <code> (--in | --out) [--device <name>]"), "\(help.standardOutput)")
    }

    // MARK: defect 12 (part): an undo with nothing to undo says so; scans --json has `undoes`

    @Test("#STATION:UNDO with nothing to undo says so; scans --json carries undoes", .timeLimit(.minutes(1)))
    func undo() throws {
        let station = try Station("input-undo", extra: Self.devices)
        defer { station.remove() }
        let nothing = try station.agent(["scan", "#STATION:UNDO", "--device", "rk"])
        #expect(nothing.status == 0)
        #expect(nothing.standardOutput.contains("Nothing was undone: this device has no counted parcel event in the last 10 minutes."),
            "\(nothing.standardOutput)")
        #expect(try station.agent(["scan", "SF1000000000001", "--device", "rk"]).status == 0)
        let undone = try station.agent(["scan", "#STATION:UNDO", "--device", "rk"])
        #expect(!undone.standardOutput.contains("Nothing was undone"), "\(undone.standardOutput)")
        let events = try #require(try AgentProcess.json(try station.agent(["scans", "--json"]).standardOutput) as? [[String: Any]])
        #expect(events.count == 3)
        #expect(events[0]["undoes"] is NSNull, "\(events[0])")
        #expect(events[1]["undoes"] is NSNull && events[1]["undone"] as? Bool == true, "\(events[1])")
        #expect(events[2]["undoes"] as? Int == events[1]["seq"] as? Int, "\(events[2])")
        // The table and the CSV say it too (UNDOES: the seq of the cancelled event).
        let csv = try station.agent(["scans", "--csv"]).standardOutput
        let lines = csv.dropFirst().components(separatedBy: "\r\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let column = try #require(header.firstIndex(of: "undoes"), "\(lines[0])")
        let undoRow = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(undoRow[column] == String(events[1]["seq"] as? Int ?? -1), "\(lines[3])")
        #expect(lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)[column] == "", "\(lines[2])")
        let table = try station.agent(["scans"]).standardOutput
        #expect(table.contains("UNDOES"), "\(table)")
    }

    // MARK: defect 11: a day on which the agent ran has its files, zeros included

    @Test("the agent writes today's count files with no scans at all", .timeLimit(.minutes(1)))
    func idleAgentWritesZeros() throws {
        let station = try Station("input-idle")
        defer { station.remove() }
        // Stopped by SIGTERM after 4 s (AgentProcess.run's timeout), as systemd stops it.
        let run = try station.agent(["run"], environment: ["STATION_AGENT_LOG_LEVEL": "info"])
        _ = run
        let outbox = station.directory.path + "/data/outbox"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []
        let csv = try #require(names.first { $0.hasPrefix("input-station_") && $0.hasSuffix(".csv") }, "\(names) \(run.standardError)")
        let text = try String(contentsOfFile: outbox + "/" + csv, encoding: .utf8)
        #expect(text.hasSuffix(",TOTAL,0,0,0,0,0,0,0,0,0,0\n"), "\(text)")
        #expect(names.contains("SHA256SUMS"))
    }
}
