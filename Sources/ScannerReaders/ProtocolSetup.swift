import Logging
import ScannerProtocols
import USBTransport

/// The claiming and the setup requests of one protocol, done once while opening a reader.
struct ProtocolSetup {
    let handle: USBDeviceHandle
    let identity: ScannerIdentity
    /// Updated by `configure` when the HID POS layout is read from the device.
    private(set) var match: ProtocolMatch
    let options: ScannerReaderOptions
    let logger: Logger

    init(
        handle: USBDeviceHandle, identity: ScannerIdentity, match: ProtocolMatch, options: ScannerReaderOptions,
        logger: Logger
    ) {
        self.handle = handle
        self.identity = identity
        self.match = match
        self.options = options
        self.logger = logger
    }

    /// Claims the control interface (CDC-ACM) and the interface that is read, detaching kernel drivers.
    /// `USBDeviceHandle.close()` gives them back, re-attaching the drivers.
    func claim() throws(ScannerReaderError) {
        var interfaces: [UInt8] = []
        if let control = match.controlInterfaceNumber { interfaces.append(control) }
        if !interfaces.contains(match.interfaceNumber) { interfaces.append(match.interfaceNumber) }
        for interface in interfaces {
            do {
                let result = try handle.claimInterface(interface)
                if result.detachedKernelDriver {
                    logger.debug("detached the kernel driver of interface \(interface) of \(identity)")
                }
            } catch {
                throw ScannerReaderError(
                    step: .claim, device: identity.description, operation: "claim interface \(interface)",
                    usbError: error)
            }
        }
    }

    mutating func configure(device: USBDeviceInfo) async throws(ScannerReaderError) {
        switch match.scannerProtocol {
        case .hidKeyboard: try await configureKeyboard()
        case .hidPOS: await configureHIDPOS(device: device)
        case .cdcACM: try await configureCDCACM()
        case .ftdi: try await configureFTDI()
        }
    }

    // MARK: Protocols

    /// Boot protocol, so the reports are the 8-byte layout the decoder reads whatever the report
    /// descriptor says; idle rate 0, so a held key is not repeated by the device. Boot-only scanners
    /// stall both requests, which is fine.
    private func configureKeyboard() async throws(ScannerReaderError) {
        let interface = UInt16(match.interfaceNumber)
        try await send("HID SET_PROTOCOL(boot)", requestType: 0x21, request: 0x0B, value: 0, index: interface, tolerateStall: true)
        try await send("HID SET_IDLE(0)", requestType: 0x21, request: 0x0A, value: 0, index: interface, tolerateStall: true)
    }

    /// Reads the report descriptor when sysfs did not give one (usbhid was not bound), so beep bits and
    /// data offsets come from the device rather than a guess; falls back to Honeywell's layout, which
    /// most HID POS scanners copy, when the device will not say.
    private mutating func configureHIDPOS(device: USBDeviceInfo) async {
        guard !match.layoutFromDescriptor || match.hidPOSLayout == nil else { return }
        let interface = device.interfaces.first { $0.number == match.interfaceNumber }
        let length = interface.flatMap { Self.reportDescriptorLength(in: $0.extraDescriptors) } ?? 4096
        do {
            let bytes = try await handle.control(
                requestType: 0x81, request: 0x06, value: 0x2200, index: UInt16(match.interfaceNumber), length: length)
            let resolved = HIDPOSLayout.resolve(descriptorBytes: bytes)
            match.hidPOSLayout = resolved.layout
            match.layoutFromDescriptor = resolved.fromDescriptor
            if !resolved.fromDescriptor {
                logger.warning(
                    "the report descriptor of \(identity) (\(bytes.count) bytes) declares no HID POS scanned-data report; using Honeywell's layout"
                )
            }
        } catch {
            match.hidPOSLayout = match.hidPOSLayout ?? .honeywell
            logger.warning("cannot read the report descriptor of \(identity) (\(error)); using Honeywell's layout")
        }
    }

    /// Line coding and DTR/RTS go to the communications interface. Scanners that are USB-native CDC
    /// devices ignore the line coding, and some stall it: that is not an error.
    private func configureCDCACM() async throws(ScannerReaderError) {
        let control = UInt16(match.controlInterfaceNumber ?? match.interfaceNumber)
        try await send(
            "CDC SET_LINE_CODING(\(options.serialLine.baudRate) 8N1)", requestType: 0x21, request: 0x20, value: 0,
            index: control, data: options.serialLine.cdcLineCoding, tolerateStall: true)
        try await send(
            "CDC SET_CONTROL_LINE_STATE(DTR|RTS)", requestType: 0x21, request: 0x22, value: 0x0003, index: control,
            tolerateStall: true)
    }

    /// The sequence of Linux ftdi_sio and libftdi: reset, line settings, modem lines, latency timer; the
    /// receive buffer is purged last, so bytes the chip took in at a wrong rate before setup are dropped.
    private func configureFTDI() async throws(ScannerReaderError) {
        let baud: USBControlRequest
        do {
            baud = try FTDIRequest.setBaudRate(options.serialLine.baudRate)
        } catch {
            throw ScannerReaderError(
                step: .setup, device: identity.description,
                operation: "set the FTDI baud rate: \(error); configure a standard rate such as 9600 or 115200",
                usbError: nil)
        }
        let requests: [(String, USBControlRequest, Bool)] = [
            ("FTDI reset", FTDIRequest.reset(), false),
            ("FTDI baud rate \(options.serialLine.baudRate)", baud, false),
            ("FTDI data 8N1", FTDIRequest.setDataCharacteristics8N1(), false),
            ("FTDI flow control off", FTDIRequest.disableFlowControl(), true),
            ("FTDI DTR/RTS", FTDIRequest.setDTRAndRTS(), true),
            ("FTDI latency timer \(options.ftdiLatencyTimer) ms", FTDIRequest.setLatencyTimer(milliseconds: options.ftdiLatencyTimer), true),
            ("FTDI purge receive buffer", FTDIRequest.purgeReceiveBuffer(), false),
        ]
        for (name, request, tolerateStall) in requests {
            try await send(
                name, requestType: request.requestType, request: request.request, value: request.value,
                index: request.index, tolerateStall: tolerateStall)
        }
    }

    // MARK: Helpers

    /// Sends one OUT control request. A stall (`LIBUSB_ERROR_PIPE`) is only logged when `tolerateStall`;
    /// anything else (the device is gone, it does not answer) fails the setup.
    private func send(
        _ name: String, requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8] = [],
        tolerateStall: Bool
    ) async throws(ScannerReaderError) {
        do {
            _ = try await handle.control(requestType: requestType, request: request, value: value, index: index, data: data)
        } catch {
            if tolerateStall, error.code == USBError.pipe.code {
                logger.info("\(identity) does not support \(name) (stall); going on without it")
                return
            }
            throw ScannerReaderError(step: .setup, device: identity.description, operation: "send \(name)", usbError: error)
        }
    }

    /// wDescriptorLength of the report descriptor, from the HID descriptor (type 0x21) among the bytes
    /// that follow the interface descriptor, or nil when there is none.
    static func reportDescriptorLength(in extra: [UInt8]) -> Int? {
        var offset = 0
        while offset + 1 < extra.count {
            let length = Int(extra[offset])
            guard length >= 2, offset + length <= extra.count else { return nil }
            if extra[offset + 1] == 0x21, length >= 9 {
                // bNumDescriptors at 5, then (bDescriptorType, wDescriptorLength) triples from 6.
                let count = Int(extra[offset + 5])
                for entry in 0..<count {
                    let at = offset + 6 + entry * 3
                    guard at + 2 < offset + length else { break }
                    if extra[at] == 0x22 { return Int(extra[at + 1]) | Int(extra[at + 2]) << 8 }
                }
            }
            offset += length
        }
        return nil
    }
}
