import Foundation
import Testing
import USBEmulator

/// `station-agent devices` as a technician runs it: the real binary against emulated devices.
@Suite("devices command")
struct DevicesCommandTests {
    static let fixtures = [
        "roothub.umockdev", "keyboard-scanner.umockdev", "hidpos-scanner.umockdev", "cdcacm-scanner.umockdev",
        "ftdi-adapter.umockdev", "ordinary-keyboard.umockdev",
    ].map { fixturePath($0) }

    static var umockdevRunAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-run") }

    /// A scratch environment with no configuration file, so built-in profiles apply.
    static let environment = ["STATION_AGENT_CONFIG": "", "STATION_AGENT_DATA_DIR": "/tmp/station-agent-cli-test"]

    @Test(
        "devices --json under umockdev-run prints SPEC §2's fields with the right values",
        .enabled(if: umockdevRunAvailable, "needs umockdev-run (apt install umockdev)"), .timeLimit(.minutes(1)))
    func devicesJSON() throws {
        let result = try AgentProcess.agentUnderUmockdevRun(fixtures: Self.fixtures, ["devices", "--json"], environment: Self.environment)
        #expect(result.status == 0, "stderr: \(result.standardError)")
        let array = try #require(try AgentProcess.json(result.standardOutput) as? [[String: Any]])
        let byPort = Dictionary(uniqueKeysWithValues: array.map { ($0["port"] as? String ?? "?", $0) })
        #expect(byPort.count == 7)
        let required = ["bus", "address", "port", "vendor_id", "product_id", "manufacturer", "product", "serial", "matched", "profile", "protocol", "role", "access"]
        for device in array {
            for key in required { #expect(device.keys.contains(key), "\(key) missing in \(device)") }
        }

        let keyboard = try #require(byPort["1-1.2"])
        #expect(keyboard["bus"] as? Int == 1)
        #expect(keyboard["address"] as? Int == 5)
        #expect(keyboard["vendor_id"] as? String == "0c2e")
        #expect(keyboard["product_id"] as? String == "0b61")
        #expect(keyboard["manufacturer"] as? String == "Honeywell Imaging & Mobility")
        #expect(keyboard["product"] as? String == "Voyager 1250g")
        #expect(keyboard["serial"] as? String == "17250B1234")
        // matched is the name events, counts and logs carry; profile the built-in profile that adopted it.
        #expect(keyboard["matched"] as? String == "honeywell@1-1.2")
        #expect(keyboard["profile"] as? String == "honeywell")
        #expect(keyboard["protocol"] as? String == "hid-keyboard")
        #expect(keyboard["role"] as? String == "switchable")
        #expect(keyboard["access"] as? String == "driver-bound")

        let pos = try #require(byPort["1-2"])
        #expect(pos["protocol"] as? String == "hid-pos", "detected from the report descriptor's usage page 0x8C")
        #expect(pos["matched"] as? String == "honeywell@1-2")
        #expect(pos["profile"] as? String == "honeywell")

        let cdc = try #require(byPort["1-3"])
        #expect(cdc["vendor_id"] as? String == "1eab")
        #expect(cdc["matched"] as? String == "newland@1-3")
        #expect(cdc["profile"] as? String == "newland")
        #expect(cdc["protocol"] as? String == "cdc-acm")

        // An FTDI cable is not a known scanner maker: listed, never adopted without configuration.
        let ftdi = try #require(byPort["1-4"])
        #expect(ftdi["vendor_id"] as? String == "0403")
        #expect(ftdi["matched"] is NSNull)
        #expect(ftdi["profile"] is NSNull)
        #expect(ftdi["protocol"] is NSNull)

        // An ordinary keyboard: listed, never matched, and no serial number is null, not missing.
        let desk = try #require(byPort["1-1.3"])
        #expect(desk["vendor_id"] as? String == "046d")
        #expect(desk["matched"] is NSNull)
        #expect(desk["profile"] is NSNull)
        #expect(desk["role"] is NSNull)
        #expect(desk["serial"] is NSNull)
    }

    @Test(
        "the human table lists every device on one line each",
        .enabled(if: umockdevRunAvailable, "needs umockdev-run (apt install umockdev)"), .timeLimit(.minutes(1)))
    func devicesTable() throws {
        let result = try AgentProcess.agentUnderUmockdevRun(fixtures: Self.fixtures, ["devices"], environment: Self.environment)
        #expect(result.status == 0, "stderr: \(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 8, "a header and seven devices:\n\(result.standardOutput)")
        #expect(lines.first?.hasPrefix("PORT") == true)
        #expect(lines.contains { $0.hasPrefix("1-1.2 ") && $0.contains("honeywell@1-1.2") && $0.contains("hid-keyboard") })
    }

    @Test(
        "access is computed for real: busy while another program holds an interface",
        .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"), .timeLimit(.minutes(1)))
    func accessBusy() async throws {
        try await TestbedLock.withTestbed { testbed in
            try testbed.add(fixture: fixturePath("roothub.umockdev"))
            let scanner = try EmulatedUSBDevice(fixture: fixturePath("cdcacm-scanner.umockdev"))
            try testbed.plug(scanner)
            let free = try EmulatedUSBDevice(fixture: fixturePath("ftdi-adapter.umockdev"))
            try testbed.plug(free)
            scanner.holdElsewhere(interface: 1)
            // The child inherits the preload and $UMOCKDEV_DIR: it sees this test bed.
            let result = try AgentProcess.agent(["devices", "--json"], environment: Self.environment, inTestbed: true)
            #expect(result.status == 0, "stderr: \(result.standardError)")
            let array = try #require(try AgentProcess.json(result.standardOutput) as? [[String: Any]])
            let byPort = Dictionary(uniqueKeysWithValues: array.map { ($0["port"] as? String ?? "?", $0) })
            #expect(byPort["1-3"]?["access"] as? String == "busy")
            #expect(byPort["1-4"]?["access"] as? String == "driver-bound")
        }
    }

    @Test("bad usage and bad configuration exit with status 2 and say why")
    func badUsage() throws {
        let usage = try AgentProcess.agent(["devices", "--colour"], environment: Self.environment)
        #expect(usage.status == 2)
        #expect(usage.standardError.contains("--colour"))

        let directory = try scratchDirectory("cli-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.toml")
        try "duplicate_window_seconds = -3\n".write(to: file, atomically: false, encoding: .utf8)
        let config = try AgentProcess.agent(["devices", "--config", file.path], environment: Self.environment)
        #expect(config.status == 2)
        #expect(config.standardError.contains("duplicate_window_seconds = -3"), "\(config.standardError)")
        #expect(config.standardError.contains("from 0 to 86400"))
    }
}
