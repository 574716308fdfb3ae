import Foundation
import Testing

/// Issue 16.9 through the binary a technician runs: `station-agent udev-rules > /etc/udev/rules.d/...`.
@Suite("udev-rules command")
struct UdevRulesCommandTests {
    @Test("a port-only entry and a serial with a newline or a quote get no rule, and stderr says why", .timeLimit(.minutes(1)))
    func refusesUnsafeEntries() throws {
        let directory = try scratchDirectory("udev-rules")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("station-agent.toml").path
        try #"""
            station_id = "udev-station"
            data_dir = "\#(directory.path)/data"

            [[devices]]
            name = "by-port"
            port = "1-1.3"

            [[devices]]
            name = "odd-serial"
            vendor_id = "0c2e"
            serial = "AB\"\nSUBSYSTEM==\"usb\", MODE=\"0666\""

            [[devices]]
            name = "desk"
            vendor_id = "0c2e"
            product_id = "0b61"
            port = "1-1.2"
            """#.write(toFile: config, atomically: false, encoding: .utf8)
        let result = try AgentProcess.agent(["udev-rules", "--config", config])
        try #require(result.status == 0, "\(result.standardError)")
        let groupLines = result.standardOutput.split(separator: "\n").filter { $0.contains("GROUP=") }
        #expect(groupLines.count == 1, "only desk: \(groupLines)")
        #expect(groupLines.first?.contains("ATTR{idVendor}==\"0c2e\", ATTR{idProduct}==\"0b61\", KERNEL==\"1-1.2\"") == true)
        #expect(!result.standardOutput.contains("0666"), "\(result.standardOutput)")
        #expect(!result.standardOutput.contains("KERNEL==\"1-1.3\""), "the port-only entry gives nothing away")
        #expect(result.standardError.contains("no rule for device 'by-port'"), "\(result.standardError)")
        #expect(result.standardError.contains("no rule for device 'odd-serial'"), "\(result.standardError)")
    }
}
