import ScannerProtocols
import Testing

/// Descriptor summaries of the device kinds the agent meets, as libusb would describe them.
enum DeviceFixture: String, CaseIterable, CustomTestStringConvertible {
    case honeywellKeyboard, honeywellHIDPOS, honeywellComposite, zebraCDC, newlandCDC, ftdiAdapter
    case unknownKeyboard, unknownHIDPOS, zebraSNAPI, honeywellHIDWithoutDescriptor, hidPOSBadDescriptor

    var testDescription: String { rawValue }

    static let keyboardInterface = USBInterfaceSummary(
        number: 0, interfaceClass: 3, interfaceSubclass: 1, interfaceProtocol: 1,
        endpoints: [USBEndpointSummary(address: 0x81, transferType: .interrupt, maxPacketSize: 8)])

    static func hidPOSInterface(number: UInt8, descriptor: [UInt8]?) -> USBInterfaceSummary {
        USBInterfaceSummary(
            number: number, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0,
            endpoints: [
                USBEndpointSummary(address: 0x80 | (number + 1), transferType: .interrupt, maxPacketSize: 64),
                USBEndpointSummary(address: number + 1, transferType: .interrupt, maxPacketSize: 64),
            ],
            hidReportDescriptor: descriptor)
    }

    static let cdcInterfaces = [
        USBInterfaceSummary(
            number: 0, interfaceClass: 2, interfaceSubclass: 2, interfaceProtocol: 1,
            endpoints: [USBEndpointSummary(address: 0x83, transferType: .interrupt, maxPacketSize: 8)]),
        USBInterfaceSummary(
            number: 1, interfaceClass: 0x0A, interfaceSubclass: 0, interfaceProtocol: 0,
            endpoints: [
                USBEndpointSummary(address: 0x81, transferType: .bulk, maxPacketSize: 64),
                USBEndpointSummary(address: 0x02, transferType: .bulk, maxPacketSize: 64),
            ]),
    ]

    var device: USBDeviceSummary {
        switch self {
        case .honeywellKeyboard:
            USBDeviceSummary(vendorID: 0x0C2E, productID: 0x0B61, interfaces: [Self.keyboardInterface])
        case .honeywellHIDPOS:
            USBDeviceSummary(
                vendorID: 0x0C2E, productID: 0x1007,
                interfaces: [Self.hidPOSInterface(number: 0, descriptor: honeywellStyleDescriptor)])
        case .honeywellComposite:
            USBDeviceSummary(
                vendorID: 0x0C2E, productID: 0x0B87,
                interfaces: [
                    Self.keyboardInterface, Self.hidPOSInterface(number: 1, descriptor: honeywellStyleDescriptor),
                ])
        case .zebraCDC:
            USBDeviceSummary(vendorID: 0x05E0, productID: 0x1701, deviceClass: 2, interfaces: Self.cdcInterfaces)
        case .newlandCDC:
            USBDeviceSummary(vendorID: 0x1EAB, productID: 0x1D06, deviceClass: 0xEF, interfaces: Self.cdcInterfaces)
        case .ftdiAdapter:
            USBDeviceSummary(
                vendorID: 0x0403, productID: 0x6001,
                interfaces: [
                    USBInterfaceSummary(
                        number: 0, interfaceClass: 0xFF, interfaceSubclass: 0xFF, interfaceProtocol: 0xFF,
                        endpoints: [
                            USBEndpointSummary(address: 0x81, transferType: .bulk, maxPacketSize: 64),
                            USBEndpointSummary(address: 0x02, transferType: .bulk, maxPacketSize: 64),
                        ])
                ])
        case .unknownKeyboard:
            USBDeviceSummary(vendorID: 0x046D, productID: 0xC31C, interfaces: [Self.keyboardInterface])
        case .unknownHIDPOS:
            USBDeviceSummary(
                vendorID: 0xFFFF, productID: 0x0035,
                interfaces: [Self.hidPOSInterface(number: 0, descriptor: honeywellStyleDescriptor)])
        case .zebraSNAPI:
            USBDeviceSummary(
                vendorID: 0x05E0, productID: 0x1900,
                interfaces: [
                    USBInterfaceSummary(
                        number: 0, interfaceClass: 0xFF, interfaceSubclass: 0, interfaceProtocol: 0,
                        endpoints: [USBEndpointSummary(address: 0x81, transferType: .interrupt, maxPacketSize: 64)])
                ])
        case .honeywellHIDWithoutDescriptor:
            USBDeviceSummary(
                vendorID: 0x0C2E, productID: 0x1007, interfaces: [Self.hidPOSInterface(number: 0, descriptor: nil)])
        case .hidPOSBadDescriptor:
            // Cut in the middle of the scanned-data collection: unreadable, but clearly page 0x8C.
            USBDeviceSummary(
                vendorID: 0x0C2E, productID: 0x1007,
                interfaces: [Self.hidPOSInterface(number: 0, descriptor: Array(honeywellStyleDescriptor.prefix(40)))])
        }
    }
}

@Suite("Protocol detection (auto) and built-in profiles")
struct ProtocolDetectionTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var fixture: DeviceFixture
        var policy: DetectionPolicy
        var scannerProtocol: ScannerProtocol?
        var interfaceNumber: UInt8 = 0
        var inEndpoint: UInt8 = 0x81
        var outEndpoint: UInt8?
        var controlInterface: UInt8?
        var testDescription: String { "\(fixture.rawValue), \(policy.rawValue)" }
    }

    static let expectations: [Expectation] = [
        Expectation(fixture: .honeywellKeyboard, policy: .unconfigured, scannerProtocol: .hidKeyboard),
        Expectation(
            fixture: .honeywellHIDPOS, policy: .unconfigured, scannerProtocol: .hidPOS, outEndpoint: 0x01),
        Expectation(
            fixture: .honeywellComposite, policy: .unconfigured, scannerProtocol: .hidPOS, interfaceNumber: 1,
            inEndpoint: 0x82, outEndpoint: 0x02),
        Expectation(
            fixture: .zebraCDC, policy: .unconfigured, scannerProtocol: .cdcACM, interfaceNumber: 1,
            outEndpoint: 0x02, controlInterface: 0),
        Expectation(
            fixture: .newlandCDC, policy: .unconfigured, scannerProtocol: .cdcACM, interfaceNumber: 1,
            outEndpoint: 0x02, controlInterface: 0),
        Expectation(fixture: .ftdiAdapter, policy: .configured, scannerProtocol: .ftdi, outEndpoint: 0x02),
        // An FTDI cable nobody configured may be anything: left alone.
        Expectation(fixture: .ftdiAdapter, policy: .unconfigured, scannerProtocol: nil),
        // An ordinary keyboard keeps working...
        Expectation(fixture: .unknownKeyboard, policy: .unconfigured, scannerProtocol: nil),
        // ...unless the operator configured it as a scanner.
        Expectation(fixture: .unknownKeyboard, policy: .configured, scannerProtocol: .hidKeyboard),
        Expectation(fixture: .unknownHIDPOS, policy: .unconfigured, scannerProtocol: nil),
        Expectation(fixture: .unknownHIDPOS, policy: .configured, scannerProtocol: .hidPOS, outEndpoint: 0x01),
        Expectation(fixture: .zebraSNAPI, policy: .unconfigured, scannerProtocol: nil),
        Expectation(fixture: .zebraSNAPI, policy: .configured, scannerProtocol: nil),
        Expectation(fixture: .honeywellHIDWithoutDescriptor, policy: .unconfigured, scannerProtocol: nil),
        Expectation(
            fixture: .hidPOSBadDescriptor, policy: .unconfigured, scannerProtocol: .hidPOS, outEndpoint: 0x01),
    ]

    @Test("Each fixture is detected as the protocol a technician would expect", arguments: expectations)
    func detection(expected: Expectation) throws {
        let match = ProtocolDetector.detect(expected.fixture.device, policy: expected.policy)
        guard let scannerProtocol = expected.scannerProtocol else {
            #expect(match == nil)
            return
        }
        let found = try #require(match)
        #expect(found.scannerProtocol == scannerProtocol)
        #expect(found.interfaceNumber == expected.interfaceNumber)
        #expect(found.inEndpoint.address == expected.inEndpoint)
        #expect(found.outEndpoint?.address == expected.outEndpoint)
        #expect(found.controlInterfaceNumber == expected.controlInterface)
        #expect((found.hidPOSLayout != nil) == (scannerProtocol == .hidPOS))
    }

    @Test("HID POS detection carries the layout read from the descriptor, or the fallback")
    func hidPOSLayout() throws {
        let good = try #require(ProtocolDetector.detect(DeviceFixture.honeywellHIDPOS.device, policy: .unconfigured))
        #expect(good.layoutFromDescriptor)
        #expect(good.hidPOSLayout?.beepReport(.goodRead) == [0x04, 0x40])
        let bad = try #require(ProtocolDetector.detect(DeviceFixture.hidPOSBadDescriptor.device, policy: .unconfigured))
        #expect(!bad.layoutFromDescriptor)
        #expect(bad.hidPOSLayout == .honeywell)
    }

    @Test("An explicitly configured protocol finds its interface, or nothing")
    func explicitProtocol() {
        let composite = DeviceFixture.honeywellComposite.device
        #expect(ProtocolDetector.match(.hidKeyboard, in: composite)?.interfaceNumber == 0)
        #expect(ProtocolDetector.match(.hidPOS, in: composite)?.interfaceNumber == 1)
        #expect(ProtocolDetector.match(.cdcACM, in: composite) == nil)
        #expect(ProtocolDetector.match(.ftdi, in: composite) == nil)
        #expect(ProtocolDetector.match(.hidKeyboard, in: DeviceFixture.zebraCDC.device) == nil)
    }

    @Test(
        "Built-in profiles cover the SPEC's vendors, all switchable",
        arguments: [
            (UInt16(0x0C2E), "honeywell"), (0x0536, "honeywell"), (0x05E0, "zebra"), (0x05F9, "datalogic"),
            (0x080C, "datalogic"), (0x1EAB, "newland"), (0x067E, "intermec"), (0x23D0, "youjie"),
            (0x1FBB, "cino"), (0x27DD, "mindeo"),
        ] as [(UInt16, String)])
    func profiles(vendorID: UInt16, name: String) throws {
        let profile = try #require(BuiltInProfiles.profile(vendorID: vendorID))
        #expect(profile.name == name)
        #expect(profile.role == .switchable)
        #expect(BuiltInProfiles.profile(named: name) == profile)
    }

    @Test(
        "Chip makers' and keyboard makers' IDs are not scanner profiles",
        arguments: [
            UInt16(0x0403), 0x046D, 0xFFFF, 0x28E9, 0x0416, 0x0000,
        ])
    func notProfiles(vendorID: UInt16) {
        #expect(BuiltInProfiles.profile(vendorID: vendorID) == nil)
    }

    @Test("Protocol names are the configuration's values")
    func protocolNames() {
        #expect(ScannerProtocol.allCases.map(\.rawValue) == ["hid-keyboard", "hid-pos", "cdc-acm", "ftdi"])
        #expect(ScannerProtocol(rawValue: "hid-pos") == .hidPOS)
        #expect(ScannerRole(rawValue: "switchable") == .switchable)
    }
}
