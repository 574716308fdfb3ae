import Foundation
import Testing

/// Issue 16.4: a USB stick comes from anywhere. What is planted on it under a count file's name (a link to
/// /dev/zero, a FIFO, a link to a root-only file) is never read, hashed or followed; a symbolic link as `--to` or as
/// `cards --out` is never written through.
@Suite("export --to and cards --out never follow what is planted on a stick")
struct StickSymlinkTests {
    static func station(_ name: String) throws -> (directory: URL, config: String, stick: String) {
        let directory = try scratchDirectory(name)
        let config = directory.appendingPathComponent("station-agent.toml").path
        try """
            station_id = "stick-station"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"
            """.write(toFile: config, atomically: false, encoding: .utf8)
        let stick = directory.appendingPathComponent("stick").path
        try FileManager.default.createDirectory(atPath: stick, withIntermediateDirectories: false)
        let scan = try AgentProcess.agent(["scan", "SF1122334455667", "--in", "--config", config])
        try #require(scan.status == 0, "\(scan.standardError)")
        return (directory, config, stick)
    }

    @Test("links to /dev/zero and to a root-only file, and a FIFO, named like count files: not read, not listed",
        .timeLimit(.minutes(1)))
    func plantedFilesOnTheStick() throws {
        let station = try Self.station("stick-planted")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        let secret = station.directory.appendingPathComponent("secret").path
        try "root only\n".write(toFile: secret, atomically: false, encoding: .utf8)
        chmod(secret, 0o600)
        try FileManager.default.createSymbolicLink(atPath: station.stick + "/zz_2026-01-01.json", withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: station.stick + "/zz_2026-01-03.csv", withDestinationPath: secret)
        try #require(mkfifo(station.stick + "/zz_2026-01-02.json", 0o644) == 0)
        // The day's own file name, planted as a link to the secret: replaced, the secret untouched.
        let today = try #require(
            (try AgentProcess.json(try AgentProcess.agent(["counts", "--json", "--config", station.config]).standardOutput)
                as? [String: Any])?["date"] as? String)
        let ownName = station.stick + "/stick-station_\(today).json"
        try FileManager.default.createSymbolicLink(atPath: ownName, withDestinationPath: secret)

        let export = try AgentProcess.agent(["export", "--to", station.stick, "--config", station.config], timeout: 20)
        #expect(export.status == 0, "\(export.standardOutput)\(export.standardError)")
        let sums = (try? String(contentsOfFile: station.stick + "/SHA256SUMS", encoding: .utf8)) ?? ""
        #expect(sums.contains("stick-station_\(today).json") && sums.contains("stick-station_\(today).csv"), "\(sums)")
        #expect(!sums.contains("zz_"), "a planted file is hashed: \(sums)")
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "root only\n", "the link's target is untouched")
        let own = try FileManager.default.attributesOfItem(atPath: ownName)
        #expect(own[.type] as? FileAttributeType == .typeRegular, "the planted link was replaced by the count file")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: station.stick).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("a symbolic link given as --to is refused and nothing is written where it points", .timeLimit(.minutes(1)))
    func symlinkedTarget() throws {
        let station = try Self.station("stick-link")
        defer { try? FileManager.default.removeItem(at: station.directory) }
        let elsewhere = station.directory.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        let link = station.stick + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        for target in [link, link + "/"] {
            let export = try AgentProcess.agent(["export", "--to", target, "--config", station.config])
            #expect(export.status == 1, "\(target): \(export.standardOutput)\(export.standardError)")
            #expect(export.standardError.contains("is a symbolic link"), "\(export.standardError)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "written through the link")
    }

    @Test("cards --out onto a symbolic link replaces the link and leaves its target alone", .timeLimit(.minutes(1)))
    func cardsOntoSymlink() throws {
        let directory = try scratchDirectory("cards-link")
        defer { try? FileManager.default.removeItem(at: directory) }
        let victim = directory.appendingPathComponent("victim").path
        try "keep me\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let out = directory.appendingPathComponent("cards.svg").path
        try FileManager.default.createSymbolicLink(atPath: out, withDestinationPath: victim)
        let result = try AgentProcess.agent(["cards", "--out", out], environment: ["STATION_AGENT_CONFIG": ""])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("<?xml") || (try String(contentsOfFile: out, encoding: .utf8)).contains("<svg"))
    }
}
