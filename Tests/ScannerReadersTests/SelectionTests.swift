import ScannerProtocols
import ScannerReaders
import Testing
import USBEmulator
import USBTransport

/// `ProtocolSelection` on the descriptors libusb reads from every fixture, and the pure parts of setup.
@Suite("Protocol selection", .enabled(if: USBTestbed.isAvailable, "needs the umockdev preload"))
struct SelectionTests {
    static func withAllFixtures(_ body: ([String: USBDeviceInfo]) throws -> Void) async throws {
        try await TestbedLock.withTestbed { testbed in
            for name in [
                "roothub", "keyboard-scanner", "hidpos-scanner", "cdcacm-scanner", "ftdi-adapter", "ordinary-keyboard",
            ] {
                try testbed.add(fixture: fixturePath(name + ".umockdev"))
            }
            let context = try USBContext()
            defer { context.shutdown() }
            try body(Dictionary(context.devices().map { ($0.port, $0) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    @Test("auto, unconfigured: known scanner vendors are adopted; an FTDI cable and a keyboard are not",
          .timeLimit(.minutes(1)))
    func autoUnconfigured() async throws {
        try await Self.withAllFixtures { devices in
            func detected(_ port: String) throws -> ScannerProtocol? {
                ProtocolSelection.match(for: try #require(devices[port]), configured: nil, policy: .unconfigured)?.scannerProtocol
            }
            do {
                let got = try detected("1-1.2")
                #expect(got == .hidKeyboard)
            }
            do {
                let got = try detected("1-2")
                #expect(got == .hidPOS)
            }
            do {
                let got = try detected("1-3")
                #expect(got == .cdcACM)
            }
            do {
                let got = try detected("1-4")
                #expect(got == nil, "FTDI's vendor ID is a chip maker's, not a scanner maker's")
            }
            do {
                let got = try detected("1-1.3")
                #expect(got == nil, "an ordinary keyboard keeps working")
            }
            let posInfo = try #require(devices["1-2"])
            let pos = try #require(ProtocolSelection.match(for: posInfo, configured: nil, policy: .unconfigured))
            #expect(pos.layoutFromDescriptor)
            #expect(pos.outEndpoint?.address == 0x02)
        }
    }

    @Test("configured: auto takes any scanner interface; an explicit protocol needs its interface",
          .timeLimit(.minutes(1)))
    func configured() async throws {
        try await Self.withAllFixtures { devices in
            let ftdi = try #require(devices["1-4"])
            let keyboard = try #require(devices["1-1.3"])
            let pos = try #require(devices["1-2"])
            #expect(ProtocolSelection.match(for: ftdi, configured: nil, policy: .configured)?.scannerProtocol == .ftdi)
            #expect(ProtocolSelection.match(for: ftdi, configured: .ftdi, policy: .configured)?.inEndpoint.maxPacketSize == 64)
            #expect(ProtocolSelection.match(for: keyboard, configured: nil, policy: .configured)?.scannerProtocol == .hidKeyboard)
            #expect(ProtocolSelection.match(for: pos, configured: .hidKeyboard, policy: .configured) == nil)
            #expect(ProtocolSelection.match(for: ftdi, configured: .cdcACM, policy: .configured) == nil)
            let cdcInfo = try #require(devices["1-3"])
            let cdc = try #require(ProtocolSelection.match(for: cdcInfo, configured: .cdcACM, policy: .configured))
            #expect(cdc.interfaceNumber == 1 && cdc.controlInterfaceNumber == 0 && cdc.outEndpoint?.address == 0x02)
            // The ordinary keyboard's second interface is HID without a known descriptor: configured as
            // hid-pos, it is tried (the reader reads the descriptor), the boot keyboard interface last.
            let forced = try #require(ProtocolSelection.match(for: keyboard, configured: .hidPOS, policy: .configured))
            #expect(forced.interfaceNumber == 1)
            #expect(forced.hidPOSLayout == nil && !forced.layoutFromDescriptor)
        }
    }
}

@Suite("Reader values")
struct ReaderValueTests {
    @Test("CDC line coding bytes", arguments: [
        (115_200, [0x00, 0xC2, 0x01, 0x00, 0, 0, 8] as [UInt8]), (9_600, [0x80, 0x25, 0x00, 0x00, 0, 0, 8]),
        (38_400, [0x00, 0x96, 0x00, 0x00, 0, 0, 8]),
    ])
    func lineCoding(baud: Int, bytes: [UInt8]) {
        #expect(SerialLineSettings(baudRate: baud).cdcLineCoding == bytes)
    }

    @Test("a scan carries the code's bytes, text, symbology, time and the device identity")
    func scanFromCode() {
        let identity = ScannerIdentity(name: "out-desk", vendorID: 0x0C2E, productID: 0x1007, serial: nil, port: "1-2")
        let code = ScannedCode(raw: ascii("SF1122334455667"), symbology: "]C0", completedAt: 42, terminator: .endOfReport)
        let scan = Scan(device: identity, scannerProtocol: .hidPOS, code: code)
        #expect(scan.text == "SF1122334455667" && scan.raw == code.raw && scan.symbology == "]C0")
        #expect(scan.completedAt == 42 && scan.source == .usb)
        #expect(identity.description == "out-desk (0c2e:1007 at 1-2)")
    }

    @Test("errors say what to do")
    func errorAdvice() {
        let gone = ScannerReaderError(step: .read, device: "desk", operation: "read input", usbError: .noDevice)
        #expect(gone.isDeviceGone)
        #expect(gone.description.contains("picked up again"))
        let busy = ScannerReaderError(step: .claim, device: "desk", operation: "claim interface 0", usbError: .busy)
        #expect(!busy.isDeviceGone)
        #expect(busy.description.contains("another program holds this interface"))
    }
}
