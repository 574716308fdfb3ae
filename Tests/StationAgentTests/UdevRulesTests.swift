import Foundation
import ParcelRules
import ScannerProtocols
import USBTransport
import StationAgent
import StationConfig
import SystemSupport
import Testing

@Suite("udev rules")
struct UdevRulesTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("the installed rules file is exactly what the built-in profiles generate")
    func committedFileMatches() throws {
        let file = Self.repositoryRoot.appendingPathComponent("udev-rules/\(UdevRules.fileName)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == UdevRules.builtIn(), "regenerate with: station-agent udev-rules --config /dev/null > udev-rules/70-station-agent.rules")
    }

    @Test("every built-in scanner vendor gets group station-agent, mode 0660, and ModemManager is kept away")
    func builtInVendors() {
        let rules = UdevRules.builtIn()
        for profile in BuiltInProfiles.all {
            for vendor in profile.vendorIDs {
                let id = hex4(vendor)
                #expect(rules.contains("ATTR{idVendor}==\"\(id)\", GROUP=\"station-agent\", MODE=\"0660\""), "\(id)")
                #expect(rules.contains("ATTRS{idVendor}==\"\(id)\", ENV{ID_MM_DEVICE_IGNORE}=\"1\""), "\(id)")
            }
        }
        #expect(!rules.contains("0666") && !rules.contains("0777"), "never world-writable")
        #expect(!rules.contains("0403"), "no FTDI cable is taken over unless configured")
    }

    @Test("configured devices get exact matches on vendor, product, serial and port")
    func configuredDevices() {
        var configuration = StationConfiguration(stationID: "test", source: "/etc/station-agent/station-agent.toml")
        configuration.devices = [
            DeviceConfiguration(name: "desk", vendorID: 0x0c2e, productID: 0x0b61, serial: "17250B1234"),
            DeviceConfiguration(name: "release", vendorID: 0x0403, port: "1-1.4", role: .outbound),
        ]
        let rules = UdevRules.forConfiguration(configuration)
        #expect(rules.contains(
            "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"0c2e\", ATTR{idProduct}==\"0b61\", ATTR{serial}==\"17250B1234\", GROUP=\"station-agent\", MODE=\"0660\""))
        #expect(rules.contains(
            "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"0403\", KERNEL==\"1-1.4\", GROUP=\"station-agent\", MODE=\"0660\""))
        #expect(rules.contains("ATTRS{idVendor}==\"0403\", KERNELS==\"1-1.4\", ENV{ID_MM_DEVICE_IGNORE}=\"1\""))
        #expect(!rules.contains("1eab"), "only what is configured")
    }

    /// Issue 16.9: a port-only entry would hand whatever is in that port (a keyboard too) to the agent's group; a
    /// serial with a newline or a quote would split or break the rule, one with `*` would match every device.
    @Test("an entry without vendor_id, or with a serial a rule cannot carry literally, gets no rule and a warning")
    func refusedEntries() {
        var configuration = StationConfiguration(stationID: "test", source: "/etc/station-agent/station-agent.toml")
        configuration.devices = [
            DeviceConfiguration(name: "port-only", port: "1-1.3"),
            DeviceConfiguration(name: "product-only", productID: 0x0b61),
            DeviceConfiguration(name: "split", vendorID: 0x0c2e, serial: "AB\nSUBSYSTEM==\"usb\", MODE=\"0666\""),
            DeviceConfiguration(name: "glob", vendorID: 0x0c2e, serial: "*"),
            DeviceConfiguration(name: "desk", vendorID: 0x0c2e, serial: "17250B-1234 X"),
        ]
        var warnings: [String] = []
        let rules = UdevRules.forConfiguration(configuration) { warnings.append($0) }
        #expect(warnings.count == 4, "\(warnings)")
        #expect(warnings.allSatisfy { !$0.contains("\n") })
        let ruleLines = rules.split(separator: "\n").filter { $0.contains("GROUP=") }
        #expect(ruleLines.count == 1, "only desk gets a rule: \(ruleLines)")
        #expect(ruleLines.first?.contains("ATTR{serial}==\"17250B-1234 X\"") == true)
        #expect(!rules.contains("0666") && !rules.contains("1-1.3\""), "\(rules)")
        #expect(rules.contains("# port-only: no rule: it gives no vendor_id"))
        for line in rules.split(separator: "\n") {
            #expect(line.hasPrefix("#") || line.hasPrefix("SUBSYSTEM==") || line.hasPrefix("ATTRS{") || line.hasPrefix("ACTION==")
                || line.hasPrefix("LABEL="), "a line udev would misread: \(line)")
        }
    }
}
