import Foundation
import Testing
import USBEmulator

@Suite("doctor command")
struct DoctorCommandTests {
    @Test(
        "doctor passes a present device, fails a missing one with the fix in words, and exits 3",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-run"), "needs umockdev-run"),
        .timeLimit(.minutes(1)))
    func configuredDevices() throws {
        let directory = try scratchDirectory("doctor")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml")
        try """
            station_id = "doctor-test"
            timezone = "Asia/Shanghai"
            data_dir = "\(directory.path)/data"

            [[devices]]
            name = "desk-scanner"
            vendor_id = "0c2e"
            port = "1-1.2"

            [[devices]]
            name = "release-device"
            vendor_id = "0403"
            protocol = "ftdi"
            role = "outbound"
            """.write(to: config, atomically: false, encoding: .utf8)
        let result = try AgentProcess.agentUnderUmockdevRun(
            fixtures: ["roothub.umockdev", "keyboard-scanner.umockdev"].map { fixturePath($0) },
            ["doctor", "--json", "--config", config.path])
        #expect(result.status == 3, "a missing device is a fail: \(result.standardError)")
        let checks = try #require(try AgentProcess.json(result.standardOutput) as? [[String: String]])
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0["check"] ?? "?", $0) })
        #expect(byName["configuration"]?["status"] == "pass")
        #expect(byName["time zone"]?["message"]?.hasPrefix("Asia/Shanghai (UTC+08:00)") == true)
        #expect(byName["data directory"]?["status"] == "pass")
        let desk = try #require(byName["device desk-scanner"])
        #expect(desk["status"] == "pass")
        #expect(desk["message"]?.contains("usbhid") == true, "says the kernel driver will be detached")
        let release = try #require(byName["device release-device"])
        #expect(release["status"] == "fail")
        #expect(release["message"]?.contains("not plugged in") == true)
        #expect(release["fix"]?.contains("station-agent devices") == true)
    }
}
