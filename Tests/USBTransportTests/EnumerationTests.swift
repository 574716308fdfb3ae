import Testing
import USBEmulator
import USBTransport

/// Enumeration through real libusb and libudev against hand-written umockdev fixtures.
@Suite("Enumeration", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload: run `make test`"))
struct EnumerationTests {
    static let fixtures = [
        "roothub.umockdev", "keyboard-scanner.umockdev", "hidpos-scanner.umockdev", "cdcacm-scanner.umockdev",
        "ftdi-adapter.umockdev", "ordinary-keyboard.umockdev",
    ]

    @Test("every fixture is listed with its IDs, strings, port, interfaces and drivers", .timeLimit(.minutes(1)))
    func listsFixtures() async throws {
        try await TestbedLock.withTestbed { testbed in
            for fixture in Self.fixtures { try testbed.add(fixture: fixturePath(fixture)) }
            let context = try USBContext()
            defer { context.shutdown() }
            let devices = context.devices()
            let byPort = Dictionary(uniqueKeysWithValues: devices.map { ($0.port, $0) })
            #expect(devices.count == 7, "root hub, external hub and five devices: \(devices.map(\.port))")

            let keyboard = try #require(byPort["1-1.2"])
            #expect(keyboard.vidPid == "0c2e:0b61")
            #expect(keyboard.id == USBDeviceID(bus: 1, address: 5))
            #expect(keyboard.deviceNode == "/dev/bus/usb/001/005")
            #expect(keyboard.manufacturer == "Honeywell Imaging & Mobility")
            #expect(keyboard.product == "Voyager 1250g")
            #expect(keyboard.serial == "17250B1234")
            let keyboardInterface = try #require(keyboard.interfaces.first)
            #expect(
                [keyboardInterface.interfaceClass, keyboardInterface.interfaceSubclass, keyboardInterface.interfaceProtocol]
                    == [3, 1, 1])
            #expect(keyboardInterface.endpoints == [USBEndpointInfo(address: 0x81, transferType: .interrupt, maxPacketSize: 8, interval: 10)])
            #expect(keyboardInterface.kernelDriver == "usbhid")
            #expect(keyboardInterface.extraDescriptors.prefix(2) == [9, 0x21], "the HID descriptor follows the interface")
            #expect(keyboard.access == .driverBound)

            let pos = try #require(byPort["1-2"])
            #expect(pos.vidPid == "0c2e:1007")
            #expect(pos.product == "Xenon 1950g HID POS")
            #expect(pos.interfaces.first?.endpoints.map(\.address) == [0x81, 0x02])

            let cdc = try #require(byPort["1-3"])
            #expect(cdc.vidPid == "1eab:1d06")
            #expect(cdc.deviceClass == 2)
            #expect(cdc.interfaces.map(\.interfaceClass) == [2, 0x0a])
            #expect(cdc.interfaces.map(\.kernelDriver) == ["cdc_acm", "cdc_acm"])
            #expect(cdc.interfaces[1].endpoints.map(\.transferType) == [.bulk, .bulk])
            #expect(cdc.serial == "NL2206A0077")

            let ftdi = try #require(byPort["1-4"])
            #expect(ftdi.vidPid == "0403:6001")
            #expect(ftdi.interfaces.first?.kernelDriver == "ftdi_sio")
            #expect(ftdi.interfaces.first?.endpoints.map(\.maxPacketSize) == [64, 64])

            let desk = try #require(byPort["1-1.3"])
            #expect(desk.vidPid == "046d:c31c")
            #expect(desk.serial == nil, "a device without a serial number reports none")

            let root = try #require(byPort["usb1"])
            #expect(root.isHub)
            #expect(byPort["1-1"]?.isHub == true)
        }
    }

    @Test("a machine with no USB at all is a clear, empty state, not a crash", .timeLimit(.minutes(1)))
    func noUSB() async throws {
        try await TestbedLock.withTestbed { _ in
            #expect(!USBContext.hasUSBDeviceFileSystem)
            let context = try USBContext()
            defer { context.shutdown() }
            #expect(context.devices().isEmpty)
            // Watching still works, and reports nothing.
            _ = try context.hotplugEvents()
        }
    }
}
