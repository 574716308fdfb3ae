import ScannerProtocols
import StationAgent
import StationConfig
import Testing
import USBTransport

/// `devices`' `matched` must be the very name events, counts and logs carry (SPEC §2), and `profile` the profile.
@Suite("devices report: matched and profile")
struct DeviceReportTests {
    /// A boot-keyboard scanner (keyboard wedge) of `vendor` at `port`.
    static func wedge(vendor: UInt16, port: String) -> USBDeviceInfo {
        USBDeviceInfo(
            id: USBDeviceID(bus: 1, address: 5), port: port, vendorID: vendor, productID: 0x0b61, deviceClass: 0,
            deviceSubclass: 0, deviceProtocol: 0, release: 0x0100, manufacturer: "Maker", product: "Scanner",
            serial: nil,
            interfaces: [
                USBInterfaceInfo(
                    number: 0, interfaceClass: 3, interfaceSubclass: 1, interfaceProtocol: 1,
                    endpoints: [USBEndpointInfo(address: 0x81, transferType: .interrupt, maxPacketSize: 8, interval: 1)],
                    kernelDriver: "usbhid", extraDescriptors: [])
            ])
    }

    @Test("every built-in vendor, at every port: matched is the assignment's name <profile>@<port>, profile the profile")
    func adoptedScannersAreMatchedUnderTheirEventName() throws {
        let configuration = try StationConfiguration.parse("", source: nil, environment: [:])
        let ports = ["1-1", "1-1.2", "2-3.4.1", "3-10"]
        var checked = 0
        for profile in BuiltInProfiles.all {
            for vendor in profile.vendorIDs {
                for port in ports {
                    let report = DeviceReport(info: Self.wedge(vendor: vendor, port: port), configuration: configuration)
                    let assignment = try #require(report.assignment, "\(profile.name) at \(port): \(String(describing: report.notAdopted))")
                    #expect(report.matched == assignment.name, "devices must show the name events carry")
                    #expect(report.matched == "\(profile.name)@\(port)")
                    #expect(report.profile == profile.name)
                    checked += 1
                }
            }
        }
        #expect(checked >= 4 * 8, "at least eight scanner makers, four ports each")
    }

    @Test("a [[devices]] entry: matched is its name, profile is null even for a known maker; left alone: both nil")
    func configuredAndIgnoredDevices() throws {
        let configuration = try StationConfiguration.parse(
            """
            [[devices]]
            name = "desk-scanner"
            vendor_id = "0c2e"
            role = "inbound"
            """, source: nil, environment: [:])
        let report = DeviceReport(info: Self.wedge(vendor: 0x0c2e, port: "1-1.2"), configuration: configuration)
        #expect(report.matched == "desk-scanner")
        #expect(report.matched == report.assignment?.name)
        #expect(report.profile == nil)
        let keyboard = DeviceReport(info: Self.wedge(vendor: 0x046d, port: "1-1.3"), configuration: configuration)
        #expect(keyboard.matched == nil && keyboard.profile == nil)
    }
}
