import Foundation
import Testing

/// Manual entry as an operator uses it when a label is damaged: `scan` and `scans`.
@Suite("scan and scans commands")
struct ScanCommandTests {
    @Test("a mode card typed for a switchable device switches it; for a fixed one it is ignored", .timeLimit(.minutes(1)))
    func typedModeCard() throws {
        let directory = try scratchDirectory("scan-mode")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "mode-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"

            [[devices]]
            name = "mobile"
            vendor_id = "0c2e"
            role = "switchable"

            [[devices]]
            name = "desk"
            vendor_id = "05e0"
            role = "inbound"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        let switched = try AgentProcess.agent(["scan", "#station:out", "--in", "--device", "mobile", "--config", config])
        #expect(switched.status == 0, "\(switched.standardError)")
        #expect(switched.standardOutput.hasPrefix("command #STATION:OUT") && switched.standardOutput.contains("reason=-"),
            "\(switched.standardOutput)")
        let ignored = try AgentProcess.agent(["scan", "#STATION:OUT", "--in", "--device", "desk", "--config", config])
        #expect(ignored.standardOutput.contains("reason=mode_card_ignored"), "\(ignored.standardOutput)")
    }

    /// SPEC §3: with no `timezone` and no usable system zone, UTC and a warning; the commands cut days as the agent
    /// does, so `verify` and `export` can check and rewrite what the agent wrote.
    @Test("with no usable zone at all, the commands count in UTC and say so", .timeLimit(.minutes(1)))
    func unusableSystemZoneMeansUTC() throws {
        let directory = try scratchDirectory("scan-tz")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": "", "TZ": "Mars/Olympus_Mons"]
        #expect(try AgentProcess.agent(["scan", "SF1122334455667", "--in"], environment: environment).status == 0)
        for command in [["counts", "--json"], ["scans", "--json"], ["export"], ["verify"]] {
            let result = try AgentProcess.agent(command, environment: environment)
            #expect(result.status == 0, "\(command): \(result.standardError)")
            #expect(result.standardError.contains("days are cut in UTC"), "\(command): \(result.standardError)")
        }
        let counts = try AgentProcess.agent(["counts", "--json"], environment: environment)
        let document = try #require(try AgentProcess.json(counts.standardOutput) as? [String: Any])
        #expect(document["timezone"] as? String == "UTC")
        #expect((document["totals"] as? [String: Int])?["inbound"] == 1)
    }

    @Test("scan goes through the rules and the journal; scans lists it as JSON and safe CSV", .timeLimit(.minutes(1)))
    func manualEntry() throws {
        let directory = try scratchDirectory("scan-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["STATION_AGENT_DATA_DIR": directory.path, "STATION_AGENT_CONFIG": ""]

        let received = try AgentProcess.agent(["scan", "sf1122334455667", "--in"], environment: environment)
        #expect(received.status == 0, "\(received.standardError)")
        #expect(received.standardOutput.hasPrefix("received SF1122334455667"), "\(received.standardOutput)")
        let released = try AgentProcess.agent(["scan", "SF1122334455667", "--out"], environment: environment)
        #expect(released.standardOutput.contains("released SF1122334455667") && released.standardOutput.contains("verdict=ok"))
        let rejected = try AgentProcess.agent(["scan", "=HYPERLINK(1)", "--in"], environment: environment)
        #expect(rejected.status == 0)
        #expect(rejected.standardOutput.hasPrefix("rejected"), "\(rejected.standardOutput)")
        let unknownDevice = try AgentProcess.agent(["scan", "SF1122334455667", "--in", "--device", "nope"], environment: environment)
        #expect(unknownDevice.status == 2, "a device that is not configured is bad usage")

        let json = try AgentProcess.agent(["scans", "--json"], environment: environment)
        let events = try #require(try AgentProcess.json(json.standardOutput) as? [[String: Any]])
        #expect(events.map { $0["outcome"] as? String } == ["received", "released", "rejected"])
        #expect(events.allSatisfy { $0["source"] as? String == "manual" && $0["device"] as? String == "manual" })
        #expect(events[0]["raw"] as? String == "sf1122334455667", "raw as typed; code normalised")
        #expect(events[0]["code"] as? String == "SF1122334455667")
        #expect((events[0]["time"] as? String)?.count ?? 0 >= 20, "RFC 3339 with the station's offset")

        let csv = try AgentProcess.agent(["scans", "--csv"], environment: environment)
        let csvText = try #require(ControlCharacterTests.excelCSV(csv.standardOutput), "BOM and CRLF: \(csv.standardOutput.debugDescription)")
        let lines = csvText.split(separator: "\n")
        #expect(lines.count == 4, "a header and three events:\n\(csvText)")
        for line in lines {
            for cell in line.split(separator: ",", omittingEmptySubsequences: false) {
                let text = cell.hasPrefix("\"") ? cell.dropFirst() : cell[...]
                #expect(!(text.first.map { "=+-@".contains($0) } ?? false), "a spreadsheet would run \(cell)")
            }
        }
    }
}
