import HumanWords
import Foundation
import StationConfig
import Testing

/// A broken configuration is an error, never the defaults (issue #10 defect 1, #16 findings 6 and 7).
@Suite("Broken configuration files and unsafe paths")
struct BrokenFileTests {
    let environment = ["STATION_AGENT_DATA_DIR": "/tmp/station-agent-test"]

    func scratch(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func loadError(_ path: String, environment: [String: String]? = nil) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.load(explicitPath: path, environment: environment ?? self.environment)
        }
    }

    @Test("a directory named as the configuration is an error naming it")
    func directory() throws {
        let directory = try scratch("config-dir")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = loadError(directory + "/")
        #expect(error?.source == directory + "/")
        #expect(error?.reason.description.contains("is a directory") == true, "\(String(describing: error))")
    }

    @Test(
        "NUL bytes and control characters anywhere are errors with their line",
        arguments: [
            ([0, 0, 0, 0] + Array("station_id = \"a\"\n".utf8), "line 1"),
            (Array("station_id = \"good\"\n".utf8) + [0] + Array("\ndata_dir = \"/etc\"\n".utf8), "line 2"),
            (Array("station_name = \"x\u{1B}[2J\"\n".utf8), "line 1"),
            ([0xFF, 0xFE] + Array("station_id = \"a\"\n".utf8), "UTF-8"),
        ] as [([UInt8], String)])
    func damagedBytes(bytes: [UInt8], where_: String) throws {
        let directory = try scratch("config-bytes-\(bytes.count)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/station-agent.toml"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = loadError(path)
        #expect(error?.source == path)
        #expect(error?.reason.description.contains(where_) == true, "\(String(describing: error))")
    }

    @Test("a FIFO named as the configuration is refused at once, not waited on", .timeLimit(.minutes(1)))
    func fifo() throws {
        let directory = try scratch("config-fifo")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/station-agent.toml"
        #expect(mkfifo(path, 0o600) == 0)
        let error = loadError(path)
        #expect(error?.reason.description.contains("not a regular file") == true, "\(String(describing: error))")
    }

    @Test("a file over 1 MiB is refused, not read in part")
    func oversized() throws {
        let directory = try scratch("config-big")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/station-agent.toml"
        // Valid TOML up to the cut: a truncated read would have given the defaults for the keys after it.
        let text = String(repeating: "# padding padding padding padding padding padding\n", count: 21_000) + "station_id = \"late\"\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(text.utf8.count > StationConfig.configurationSizeLimit)
        let error = loadError(path)
        #expect(error?.reason.description.contains("larger than 1 MiB") == true, "\(String(describing: error))")
    }

    @Test("an unquoted Chinese value gets a hint to quote it")
    func unquotedText() {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.parse("station_id = \"xiaohu\"\nstation_name = 小湖村\n", source: "x.toml", environment: environment)
        }
        #expect(error?.reason.description.contains("line 2") == true, "\(String(describing: error))")
        #expect(error?.reason.description.contains("write station_name = \"小湖村\"") == true, "\(String(describing: error))")
    }

    @Test("a data_dir that leads to a system directory through a link is refused")
    func symbolicLinkToEtc() throws {
        let directory = try scratch("config-link")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/data", withDestinationPath: "/etc")
        for value in ["data", "data/station-agent"] {
            let error = #expect(throws: ConfigurationError.self) {
                _ = try StationConfiguration.parse("data_dir = \"\(value)\"\n", source: directory + "/c.toml", environment: environment)
            }
            #expect(error?.key == "data_dir")
            #expect(error?.reason.description.contains("leads to /etc") == true, "\(String(describing: error))")
        }
    }

    @Test(
        "root's home and hidden folders of home directories are refused",
        arguments: ["/root/.ssh", "/root/station", "/home/pi/.ssh", "/home/pi/.config/station-agent", "/home/.hidden"])
    func privateHomes(path: String) {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.parse("outbox_dir = \"\(path)\"\n", source: "/srv/station/c.toml", environment: environment)
        }
        #expect(error?.key == "outbox_dir")
        #expect(error?.reason.description.contains("home") == true, "\(String(describing: error))")
    }

    @Test("a home directory's ordinary folder is allowed")
    func ordinaryHomeFolder() throws {
        let configuration = try StationConfiguration.parse("data_dir = \"/home/pi/station-data\"\n", source: nil, environment: environment)
        #expect(configuration.dataDirectory == "/home/pi/station-data")
    }

    @Test("STATION_AGENT_DATA_DIR is checked like data_dir", arguments: ["/etc", "/etc/station", "/root/.ssh", "/"])
    func environmentDataDirectory(value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            _ = try StationConfiguration.defaults(environment: ["STATION_AGENT_DATA_DIR": value])
        }
        #expect(error?.key == "STATION_AGENT_DATA_DIR", "\(String(describing: error))")
    }
}
