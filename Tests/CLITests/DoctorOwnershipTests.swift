import Foundation
import Testing

/// Issue 16.5: `doctor` judges owners and modes for the user the service runs as, and says the exact command.
/// The tests create an unprivileged system user to play the service, so they need root.
@Suite(
    "doctor checks owners and modes against the service user", .serialized,
    .enabled(if: geteuid() == 0, "needs root: it creates a system user and chowns files to it"))
struct DoctorOwnershipTests {
    static let serviceUser = "sa-h3-doctor"

    /// The service user (created once, kept: a system user without a home or a shell).
    static func ensureServiceUser() throws {
        if getpwnam(serviceUser) != nil { return }
        let made = try AgentProcess.run(
            "/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", serviceUser],
            removing: AgentProcess.testbedVariables)
        try #require(made.status == 0 || getpwnam(serviceUser) != nil, "useradd: \(made.standardError)")
    }

    static func chown(_ path: String, _ owner: String) throws {
        let result = try AgentProcess.run("/bin/chown", [owner, path], removing: AgentProcess.testbedVariables)
        try #require(result.status == 0, "chown \(owner) \(path): \(result.standardError)")
    }

    /// A station whose data directory belongs to the service user, as `make install` leaves it.
    static func station(_ name: String) throws -> (directory: URL, config: String, data: String) {
        try ensureServiceUser()
        let directory = try scratchDirectory(name)
        chmod(directory.path, 0o755)
        let data = directory.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        chmod(data, 0o750)
        try chown(data, "\(serviceUser):\(serviceUser)")
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "owner-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(data)"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        chmod(config, 0o640)
        try chown(config, "root:\(serviceUser)")
        return (directory, config, data)
    }

    static func doctor(_ config: String, asService: Bool = false) throws -> (status: Int32, checks: [String: [String: String]]) {
        let environment = ["STATION_AGENT_SERVICE_USER": serviceUser, "STATION_AGENT_CONFIG": ""]
        let result = asService
            ? try AgentProcess.run(
                "/usr/bin/setpriv",
                ["--reuid=\(serviceUser)", "--regid=\(serviceUser)", "--init-groups", AgentProcess.agentPath, "doctor", "--json",
                    "--config", config],
                environment: environment, removing: AgentProcess.testbedVariables)
            : try AgentProcess.agent(["doctor", "--json", "--config", config], environment: environment)
        let lines = try #require(try AgentProcess.json(result.standardOutput) as? [[String: String]], "\(result.standardError)")
        return (result.status, Dictionary(lines.map { ($0["check"] ?? "?", $0) }) { first, _ in first })
    }

    @Test("a healthy install passes", .timeLimit(.minutes(1)))
    func healthyInstall() throws {
        let station = try Self.station("owner-ok")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        #expect(try AgentProcess.agent(["scan", "SF1122334455667", "--in", "--config", station.config]).status == 0)
        let (_, checks) = try Self.doctor(station.config)
        #expect(checks["ownership"]?["status"] == "pass", "\(checks.filter { $0.key.hasPrefix("ownership") })")
        #expect(!checks.keys.contains { $0.hasPrefix("ownership ") }, "\(checks.filter { $0.key.hasPrefix("ownership") })")
    }

    @Test("a root-owned 0644 journal is a FAIL for both doctors, with the chown and chmod to run", .timeLimit(.minutes(1)))
    func rootOwnedJournal() throws {
        let station = try Self.station("owner-journal")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        #expect(try AgentProcess.agent(["scan", "SF1122334455667", "--in", "--config", station.config]).status == 0)
        // What root's `scan` left before the journal was opened as the directory's owner.
        let journal = station.data + "/journal.sqlite3"
        for file in [journal, journal + "-wal", journal + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try Self.chown(file, "root:root")
            chmod(file, 0o644)
        }
        for asService in [false, true] {
            let (status, checks) = try Self.doctor(station.config, asService: asService)
            #expect(status == 3, "a FAIL (as \(asService ? "the service" : "root"))")
            let line = try #require(checks["ownership journal.sqlite3"], "as \(asService ? "the service" : "root"): \(checks.keys.sorted())")
            #expect(line["status"] == "fail")
            #expect(line["message"]?.contains("cannot write") == true, "\(line)")
            #expect(line["fix"] == "chown \(Self.serviceUser):\(Self.serviceUser) \(journal) && chmod 0640 \(journal)", "\(line)")
        }
    }

    @Test("a 0777 data directory owned by another user is a WARN that names chown and chmod", .timeLimit(.minutes(1)))
    func openDataDirectory() throws {
        let station = try Self.station("owner-datadir")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        try Self.chown(station.data, "nobody:nogroup")
        chmod(station.data, 0o777)
        let (_, checks) = try Self.doctor(station.config)
        let line = try #require(checks["ownership data directory"], "\(checks.keys.sorted())")
        #expect(line["status"] == "warn", "\(line)")
        #expect(line["fix"] == "chown \(Self.serviceUser):\(Self.serviceUser) \(station.data) && chmod 0750 \(station.data)", "\(line)")
        // Owned by another user and closed to the service: it cannot write, a FAIL.
        chmod(station.data, 0o755)
        let closed = try Self.doctor(station.config)
        #expect(closed.status == 3)
        #expect(closed.checks["ownership data directory"]?["status"] == "fail", "\(closed.checks["ownership data directory"] ?? [:])")
    }

    @Test("a configuration file another user can write is a WARN; one the service cannot read a FAIL", .timeLimit(.minutes(1)))
    func configurationWritableByOthers() throws {
        let station = try Self.station("owner-config")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        chmod(station.config, 0o666)
        let (_, checks) = try Self.doctor(station.config)
        let line = try #require(checks["ownership configuration"], "\(checks.keys.sorted())")
        #expect(line["status"] == "warn", "\(line)")
        #expect(line["fix"] == "chown root:\(Self.serviceUser) \(station.config) && chmod 0640 \(station.config)", "\(line)")
        try Self.chown(station.config, "nobody:nogroup")
        chmod(station.config, 0o644)
        #expect(try Self.doctor(station.config).checks["ownership configuration"]?["status"] == "warn", "owned by another user")
        chmod(station.config, 0o600)
        let unreadable = try Self.doctor(station.config)
        #expect(unreadable.checks["ownership configuration"]?["status"] == "fail")
    }
}
